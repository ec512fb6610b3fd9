import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { NativeLauncher } from "./native-launcher.js";

const dir = makeTempDir("native-launcher-");
const build = makeTempDir("native-build-");
afterAll(() => {
  dir.remove();
  build.remove();
});

function req(file: string, args: string[] = [], env: NodeJS.ProcessEnv = { PATH: "/usr/bin:/bin" }) {
  return { file, args, cwd: dir.path, env, stdoutFile: join(dir.path, "out"), stderrFile: join(dir.path, "err") };
}

describe("NativeLauncher", () => {
  it("runs compilers from the C helper: exit codes, exec errors, process-group kill, files, cwd, env, stdin", async () => {
    const launcher = new NativeLauncher(build.path);
    try {
      expect(await launcher.launch(req("/bin/true"), () => {})).toEqual({ kind: "exit", code: 0, signal: null });
      // Built, started, and its build folder already removed.
      expect(readdirSync(build.path)).toEqual([]);
      expect(await launcher.launch(req("/bin/sh", ["-c", "exit 3"]), () => {})).toEqual({
        kind: "exit",
        code: 3,
        signal: null,
      });
      expect(await launcher.launch(req("/no/such/compiler"), () => {})).toEqual({
        kind: "error",
        message: "spawn ENOENT",
      });
      const killed = await launcher.launch(req("/bin/sleep", ["30"]), (pid) => process.kill(-pid, "SIGKILL"));
      expect(killed).toEqual({ kind: "exit", code: null, signal: "SIGKILL" });
      const script = 'echo "$0|$1|$(pwd)|$FOO|$PPID"; cat; echo err >&2; ps -o sid= -p $$; ps -o comm= -p $PPID';
      const r = await launcher.launch(
        req("/bin/sh", ["-c", script, "a b"], { PATH: "/usr/bin:/bin", FOO: "x=y" }),
        () => {},
      );
      expect(r).toEqual({ kind: "exit", code: 0, signal: null });
      const [line, sid, parent] = readFileSync(join(dir.path, "out"), "utf8").trim().split("\n");
      const [zero, one, cwd, foo, ppid] = line!.split("|");
      expect([zero, one, cwd, foo]).toEqual(["a b", "", dir.path, "x=y"]);
      expect(Number(sid)).not.toBe(Number(ppid)); // its own session, not the helper's
      expect(parent!.trim()).toBe("spawn"); // forked by the helper, not by node
      expect(readFileSync(join(dir.path, "err"), "utf8")).toBe("err\n");
      expect(await launcher.launch(req("/bin/echo", ["a\0b"]), () => {})).toEqual({
        kind: "error",
        message: "an argument contains a NUL byte",
      });
    } finally {
      launcher.close();
    }
  });

  it("falls back to spawning from this process when no C compiler works", async () => {
    const reasons: string[] = [];
    const launcher = new NativeLauncher(build.path, ["/no/such/cc"], (why) => reasons.push(why));
    try {
      expect(await launcher.launch(req("/bin/false"), () => {})).toEqual({ kind: "exit", code: 1, signal: null });
      expect(await launcher.launch(req("/bin/true"), () => {})).toEqual({ kind: "exit", code: 0, signal: null });
      expect(readdirSync(build.path)).toEqual([]);
      // Said once, with the reason: an admin sees why compiles start from the server itself.
      expect(reasons).toEqual(["no C compiler could build it (tried /no/such/cc)"]);
    } finally {
      launcher.close();
    }
  });
});
