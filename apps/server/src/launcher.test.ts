import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { inlineLauncher, type Launcher } from "./launcher.js";
import { NativeLauncher } from "./native-launcher.js";

const dir = makeTempDir("launcher-");
const build = makeTempDir("launcher-build-");
afterAll(() => {
  dir.remove();
  build.remove();
});

function req(file: string, args: string[] = []) {
  return {
    file,
    args,
    cwd: dir.path,
    env: { PATH: "/usr/bin:/bin" },
    stdoutFile: join(dir.path, "out"),
    stderrFile: join(dir.path, "err"),
  };
}

// The one spawn path (the C helper) and its fallback (this process) behave the same.
describe.each([
  ["the C spawn helper", () => new NativeLauncher(build.path)],
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

describe("the C spawn helper", () => {
  it("fails the launches of a helper that died, and starts a new helper for the next one", async () => {
    const launcher = new NativeLauncher(build.path);
    try {
      // The helper's pid is the parent of what it spawns.
      await launcher.launch(req("/bin/sh", ["-c", "echo $PPID > ppid"]), () => {});
      const helperPid = Number(readFileSync(join(dir.path, "ppid"), "utf8"));
      expect(helperPid).toBeGreaterThan(1);
      let sleeper = 0;
      const pending = launcher.launch(req("/bin/sleep", ["30"]), (pid) => {
        sleeper = pid;
        process.kill(helperPid, "SIGKILL");
      });
      expect(await pending).toEqual({ kind: "error", message: "the spawn helper exited" });
      // Its compile was killed with it (PR_SET_PDEATHSIG); if not yet, the server kills groups it knows.
      try {
        process.kill(-sleeper, "SIGKILL");
      } catch {
        // ESRCH: already gone, as it should be.
      }
      expect(await launcher.launch(req("/bin/true"), () => {})).toEqual({ kind: "exit", code: 0, signal: null });
    } finally {
      launcher.close();
    }
  });
});
