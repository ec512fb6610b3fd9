import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { HelperLauncher, inlineLauncher, type Launcher } from "./launcher.js";

const dir = makeTempDir("launcher-");
afterAll(() => dir.remove());

function req(file: string, args: string[] = []) {
  return { file, args, cwd: dir.path, env: { PATH: "/usr/bin:/bin" }, stdoutFile: join(dir.path, "out"), stderrFile: join(dir.path, "err") };
}

describe.each([
  ["the helper process", () => new HelperLauncher()],
  ["this process", () => inlineLauncher],
])("launching compilers from %s", (_name, make: () => Launcher) => {
  it("reports exit codes, spawn errors and kills by process group", async () => {
    const launcher = make();
    try {
      expect(await launcher.launch(req("/bin/true"), () => {})).toEqual({ kind: "exit", code: 0, signal: null });
      expect(await launcher.launch(req("/bin/false"), () => {})).toEqual({ kind: "exit", code: 1, signal: null });
      expect((await launcher.launch(req("/no/such/compiler"), () => {})).kind).toBe("error");
      const killed = await launcher.launch(req("/bin/sleep", ["30"]), (pid) => process.kill(-pid, "SIGKILL"));
      expect(killed).toEqual({ kind: "exit", code: null, signal: "SIGKILL" });
    } finally {
      launcher.close();
    }
  });
});

describe("HelperLauncher", () => {
  it("fails the launches of a helper that died, and starts a new helper for the next one", async () => {
    const launcher = new HelperLauncher();
    try {
      let helperPid = 0;
      // The helper's pid is the parent of what it spawns.
      await launcher.launch(req("/bin/sh", ["-c", "echo $PPID > ppid"]), () => {});
      const { readFileSync } = await import("node:fs");
      helperPid = Number(readFileSync(join(dir.path, "ppid"), "utf8"));
      expect(helperPid).toBeGreaterThan(1);
      let sleeper = 0;
      const pending = launcher.launch(req("/bin/sleep", ["30"]), (pid) => {
        sleeper = pid;
        process.kill(helperPid, "SIGKILL");
      });
      expect(await pending).toEqual({ kind: "error", message: "the spawn helper exited" });
      process.kill(-sleeper, "SIGKILL"); // its compile would be orphaned: the server kills groups it knows
      expect(await launcher.launch(req("/bin/true"), () => {})).toEqual({ kind: "exit", code: 0, signal: null });
    } finally {
      launcher.close();
    }
  });
});
