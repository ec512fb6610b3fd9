import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { inlineLauncher, type Launcher } from "./launcher.js";
import { runCompiler } from "./run-compiler.js";
import { BwrapSandbox, chooseSandbox, findBwrap, SandboxUnavailableError } from "./sandbox.js";
import { startServer } from "./server.js";
import { CmdListWhitelist } from "./cmdlist-whitelist.js";

const dirs: { path: string; remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function emptyList(): string {
  const file = join(temp(), "compilers");
  writeFileSync(file, "");
  return file;
}
function temp(): string {
  const d = makeTempDir("sandbox-unit-");
  dirs.push(d);
  chmodSync(d.path, 0o755);
  return d.path;
}

describe("chooseSandbox", () => {
  it("auto uses bwrap when its probe works here", async () => {
    const choice = await chooseSandbox("auto", temp());
    expect(choice.state).toBe("bwrap");
    expect(choice.sandbox?.bwrap).toBe(findBwrap());
  });

  it("auto without a working bwrap: no sandbox, and a warning that says so; bwrap required: refused", async () => {
    const choice = await chooseSandbox("auto", temp(), "/bin/false");
    expect(choice.state).toBe("unavailable");
    expect(choice.sandbox).toBeUndefined();
    expect(choice.warning).toMatch(/WITHOUT a sandbox/);
    await expect(chooseSandbox("bwrap", temp(), "/bin/false")).rejects.toBeInstanceOf(SandboxUnavailableError);
    expect(await chooseSandbox("none", temp(), "/bin/false")).toEqual({ state: "none" });
  });

  it("a server started with auto and no working bwrap warns at start and reports it in its stats (/json)", async () => {
    const lines: string[] = [];
    const server = await startServer({
      port: 0,
      listen: "127.0.0.1",
      tempDir: temp(),
      bwrapPath: "/bin/false",
      whitelist: new CmdListWhitelist(emptyList()),
      logger: { enabled: () => true, log: (level, _fn, message) => lines.push(`${level} ${message}`) },
    });
    try {
      expect(server.sandbox).toBe("unavailable");
      expect(server.stats().sandbox).toMatchObject({
        mode: "auto",
        state: "unavailable",
        warning: expect.stringMatching(/WITHOUT a sandbox/),
      });
      expect(lines.some((l) => l.startsWith("warning compiles run WITHOUT a sandbox"))).toBe(true);
    } finally {
      await server.close({ graceMs: 0 });
    }
    await expect(
      startServer({
        port: 0,
        listen: "127.0.0.1",
        tempDir: temp(),
        sandbox: "bwrap",
        bwrapPath: "/bin/false",
        whitelist: new CmdListWhitelist(emptyList()),
      }),
    ).rejects.toThrow(/--sandbox bwrap: the sandbox does not work here/);
  });
});

describe("BwrapSandbox", () => {
  it("binds a toolchain that lives under a masked place (/tmp) back, read-only, so it still runs", async () => {
    const bwrap = findBwrap()!;
    const tools = temp();
    mkdirSync(join(tools, "bin"));
    const cc = join(tools, "bin", "fakecc");
    writeFileSync(
      cc,
      '#!/bin/sh\necho ran "$@"\ntouch "$0.written" 2>/dev/null && echo wrote-beside-itself\nexit 0\n',
      { mode: 0o755 },
    );
    const jobs = temp();
    const job = join(jobs, "distcc-server-1-abcdef");
    mkdirSync(job);
    const sandbox = new BwrapSandbox(bwrap, jobs);
    // Its bin/ with its parent: a toolchain's lib/ and libexec/ are beside bin/.
    expect(sandbox.argsFor(cc, [], job, job).join(" ")).toContain(`--ro-bind ${tools} ${tools}`);
    const r = await runCompiler({
      executable: cc,
      args: ["-c", "x"],
      cwd: job,
      env: { PATH: "/usr/bin:/bin" },
      outputDir: job,
      sandbox,
    });
    expect(r.status).toBe(0);
    // It ran, and could not write where it lives (read-only there too).
    expect(r.stdout.toString()).toBe("ran -c x\n");
  });
});

describe.each<[string, () => Launcher]>([["inline", () => inlineLauncher]])(
  "the %s launcher applies the limits too (through prlimit)",
  (_name, make) => {
    it("stops a busy loop after its CPU time", async () => {
      const launcher = make();
      const dir = temp();
      try {
        const r = await runCompiler({
          executable: "/bin/sh",
          args: ["-c", "while :; do :; done"],
          cwd: dir,
          env: {},
          outputDir: dir,
          launcher,
          limits: { cpuSeconds: 1 },
        });
        expect(r.end).toBe("signaled");
        expect(r.status & 0x7f).toBe(24);
        expect(r.stderr.toString()).toContain("--max-compiler-cpu is 1 s");
      } finally {
        launcher.close();
      }
    });
  },
);
