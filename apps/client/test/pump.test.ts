// Pump mode (`,cpp,lzo` hosts, protocol 3) end to end, against a real Debian distccd and against
// our server: the helper preprocesses from the files the agent's include analysis sent. Objects
// must be the local compile's code, dependency files and diagnostics the local ones.
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, waitFor, type DistccdHandle } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent } from "./helpers.js";
import { startDistccServer, type ServerHandle } from "./our-server.js";

const tmp = makeTempDir("client-pump-");
let launcher = "";
let distccd: DistccdHandle;
let ours: ServerHandle;

beforeAll(async () => {
  ({ launcher } = makeLinks(join(tmp.path, "links")));
  [distccd, ours] = await Promise.all([
    startDistccd({ jobs: 2 }),
    startDistccServer({ jobs: 2, cacheDir: join(tmp.path, "server-cache") }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const name of ["distccd", "ours"]) await stopAgent(join(tmp.path, `state-${name}`));
  await Promise.all([distccd?.stop(), ours?.stop()]);
  tmp.remove();
});

/** A project whose includes use every lookup rule: -I with `..`, -iquote, include_next, a computed
 * include, a symlinked directory, a header with a warning, C and C++. */
function project(name: string): string {
  const root = join(tmp.path, name);
  const files: Record<string, string> = {
    "include/app.h": '#include "util/str.h"\n#include <stdio.h>\n',
    "include/util/str.h": '#include "../config.h"\n#define SHOUT(s) s "!"\n',
    "include/config.h": '#pragma once\n#define GREETING "hello from pump mode"\n',
    "wrap/stdlib.h": "#include_next <stdlib.h>\n#define WRAPPED_STDLIB 1\n",
    "src/gen/cfg.h": "#define CFG_LEVEL 3\n",
    "src/warn.h": "static int unused_helper(void) { return 1; }\n",
    "src/main.c": [
      '#include "app.h"',
      "#include <stdlib.h>",
      '#define CFG "gen/cfg.h"',
      "#include CFG",
      '#include "linked/config.h"',
      '#include "warn.h"',
      "#ifndef WRAPPED_STDLIB",
      "#error the wrapper was not read",
      "#endif",
      "int main(void) { puts(SHOUT(GREETING)); return CFG_LEVEL - 3; }",
      "",
    ].join("\n"),
    "src/shape.cc":
      '#include <vector>\n#include <string>\n#include "app.h"\nstd::string shape() { std::vector<std::string> v{GREETING}; return v[0]; }\n',
    "src/broken.c": '#include "app.h"\nint broken(void) { return undeclared_name; }\n',
    "src/cpath.c": '#include "app.h"\nint f(void) { return 0; }\n',
    "src/unknowable.c": "#include SOMETHING_NOBODY_DEFINES\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  symlinkSync("../include", join(root, "src/linked"));
  return join(root, "src");
}

const FLAGS = ["-O2", "-g", "-Wall", "-I../include", "-I../wrap", "-MD"];

interface Peer {
  name: "distccd" | "ours";
  hosts(): string;
  log(): string;
}

const peers: Peer[] = [
  { name: "distccd", hosts: () => `${distccd.host},cpp,lzo`, log: () => distccd.log() },
  { name: "ours", hosts: () => `${ours.host},cpp,lzo`, log: () => ours.log() },
];

describe.each(peers)("pump mode against $name", (peer) => {
  const state = () => join(tmp.path, `state-${peer.name}`);
  const env = (extra: Record<string, string> = {}) =>
    clientEnv(state(), peer.hosts(), { DISTCC_FALLBACK: "0", DISTCC_VERBOSE: "1", ...extra });

  it("compiles C remotely with protocol 3: code, .d and warnings are the local compile's", async () => {
    const dir = project(`c-${peer.name}`);
    const before = peer.log().length;
    const remote = await run(launcher, ["gcc", ...FLAGS, "-c", "main.c", "-o", "main.o"], { cwd: dir, env: env() });
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stderr).toMatch(/protocol 3, \d+ files/);
    // The helper logs the job after it has sent the answer: wait for the line.
    const logged =
      peer.name === "distccd" ? /DIST00000003|protocol version 3|distcc protocol 3/i : /COMPILE_OK .* proto:3/;
    await waitFor(`${peer.name} to log a protocol 3 job`, () => logged.test(peer.log().slice(before)));
    expect(peer.log().slice(before)).toMatch(logged);
    renameSync(join(dir, "main.o"), join(dir, "remote.o"));
    renameSync(join(dir, "main.d"), join(dir, "remote.d"));
    const local = await run("gcc", [...FLAGS, "-c", "main.c", "-o", "main.o"], { cwd: dir, env: process.env });
    expect(local.code, local.stderr).toBe(0);
    expect(await disassemble(join(dir, "remote.o"))).toBe(await disassemble(join(dir, "main.o")));
    // The same rule for make (the helper wrapped its lines at its own, longer, paths).
    const rule = (file: string) =>
      readFileSync(join(dir, file), "utf8")
        .replace(/\\\n/g, " ")
        .split(/\s+/)
        .filter((w) => w !== "");
    expect(rule("remote.d")).toEqual(rule("main.d"));
    // The warning in warn.h, with its file and line, as gcc says it here.
    const warning = (s: string) => s.split("\n").filter((l) => l.startsWith("warn.h:"));
    expect(warning(local.stderr).length).toBeGreaterThan(0);
    expect(warning(remote.stderr)).toEqual(warning(local.stderr));
    // And the program works.
    const linked = await run("gcc", ["remote.o", "-o", "prog"], { cwd: dir, env: process.env });
    expect(linked.code, linked.stderr).toBe(0);
    expect((await run(join(dir, "prog"), [], { cwd: dir, env: process.env })).stdout).toBe("hello from pump mode!\n");
  });

  it("compiles C++ remotely with protocol 3, code equal to local", async () => {
    const dir = project(`cxx-${peer.name}`);
    const remote = await run(launcher, ["g++", "-O2", "-I../include", "-c", "shape.cc", "-o", "remote.o"], {
      cwd: dir,
      env: env(),
    });
    expect(remote.code, remote.stderr).toBe(0);
    expect(remote.stderr).toMatch(/protocol 3/);
    const local = await run("g++", ["-O2", "-I../include", "-c", "shape.cc", "-o", "local.o"], {
      cwd: dir,
      env: process.env,
    });
    expect(local.code, local.stderr).toBe(0);
    expect(await disassemble(join(dir, "remote.o"))).toBe(await disassemble(join(dir, "local.o")));
  });

  it("reports a compile error with the right file and line", async () => {
    const dir = project(`err-${peer.name}`);
    const remote = await run(launcher, ["gcc", "-I../include", "-c", "broken.c", "-o", "broken.o"], {
      cwd: dir,
      env: env(),
    });
    const local = await run("gcc", ["-I../include", "-c", "broken.c", "-o", "broken.o"], {
      cwd: dir,
      env: process.env,
    });
    expect(local.code).toBe(1);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain("broken.c:2:");
    expect(remote.stderr).toContain("undeclared_name");
  });

  it("uses plain mode when the environment changes the include search (CPATH), and says why", async () => {
    const dir = project(`cpath-${peer.name}`);
    const r = await run(launcher, ["gcc", "-I../include", "-c", "cpath.c", "-o", "cpath.o"], {
      cwd: dir,
      env: env({ CPATH: join(dir, "..", "include") }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/plain mode, not pump: CPATH is set/);
    expect(r.stderr).toMatch(/protocol 2/);
  });

  it("uses plain mode for an include it cannot evaluate", async () => {
    const dir = project(`unknowable-${peer.name}`);
    const r = await run(
      launcher,
      ["gcc", '-DSOMETHING_NOBODY_DEFINES="gen/cfg.h"', "-c", "unknowable.c", "-o", "u.o"],
      { cwd: dir, env: env() },
    );
    // With the -D the analysis can evaluate it; without, plain mode (and cpp's own error).
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/protocol 3/);
    const without = await run(launcher, ["gcc", "-c", "unknowable.c", "-o", "u.o"], { cwd: dir, env: env() });
    expect(without.stderr).toMatch(/plain mode, not pump: .*cannot evaluate/);
    expect(without.code).not.toBe(0);
  });
});

// distccd leaves its temp root in __FILE__ (docs/pump.md): only our server gives the same bytes.
describe("pump mode against ours, byte for byte", () => {
  const env = () =>
    clientEnv(join(tmp.path, "state-ours"), `${ours.host},cpp,lzo`, { DISTCC_FALLBACK: "0", DISTCC_VERBOSE: "1" });

  it("gives the local object byte for byte: __FILE__ and debug info name the client's paths, its prefix maps apply", async () => {
    const dir = project("file-ours");
    writeFileSync(join(dir, "../include/here.h"), "static const char *header_file(void) { return __FILE__; }\n");
    writeFileSync(
      join(dir, "where.c"),
      '#include "here.h"\nconst char *where(void) { return __FILE__; }\nconst char *there(void) { return header_file(); }\n',
    );
    // As the kernel does: an absolute source and a map that makes __FILE__ relative to the tree.
    const base = ["-O2", "-I../include", `-fmacro-prefix-map=${join(dir, "..")}/=`, "-c", join(dir, "where.c")];
    for (const extra of [[], ["-g"]]) {
      const remote = await run(launcher, ["gcc", ...extra, ...base, "-o", "remote.o"], { cwd: dir, env: env() });
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stderr).toMatch(/protocol 3/);
      const local = await run("gcc", [...extra, ...base, "-o", "local.o"], { cwd: dir, env: process.env });
      expect(local.code, local.stderr).toBe(0);
      const remoteBytes = readFileSync(join(dir, "remote.o"));
      expect(remoteBytes.includes("src/where.c\0")).toBe(true);
      expect(remoteBytes.equals(readFileSync(join(dir, "local.o")))).toBe(true);
    }
  });
});

describe("--scan-includes", () => {
  it("prints what a pump job would send, in distcc's format, through the launcher", async () => {
    const dir = project("scan");
    const r = await run(launcher, ["--scan-includes", "gcc", ...FLAGS, "-c", "main.c"], {
      cwd: dir,
      env: clientEnv(join(tmp.path, "state-scan"), ""),
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toContain(`FILE      ${join(dir, "main.c")}`);
    expect(lines).toContain(`FILE      ${join(dir, "..", "include", "config.h")}`);
    expect(lines).toContain(`FILE      ${join(dir, "..", "wrap", "stdlib.h")}`);
    expect(lines).toContain(`FILE      ${join(dir, "gen", "cfg.h")}`);
    expect(lines).toContain(`SYMLINK   ${join(dir, "linked")} -> ../include`);
    expect(lines.some((l) => /^FILE {6}\/usr\/include\/stdlib\.h$/.test(l))).toBe(true);
    // The kernel's `-Wp,-MMD,FILE` is read as the agent reads it (`-MMD -MF FILE`), not a reason to give up.
    const kernelStyle = await run(
      launcher,
      ["--scan-includes", "gcc", "-Wp,-MMD,.main.o.d", ...FLAGS, "-c", "main.c"],
      { cwd: dir, env: clientEnv(join(tmp.path, "state-scan"), "") },
    );
    expect(kernelStyle.code, kernelStyle.stderr).toBe(0);
    expect(kernelStyle.stdout).toBe(r.stdout);
    const bad = await run(launcher, ["--scan-includes", "gcc", "-c", "unknowable.c"], {
      cwd: dir,
      env: clientEnv(join(tmp.path, "state-scan"), ""),
    });
    expect(bad.code).toBe(100);
    expect(bad.stderr).toMatch(/cannot evaluate/);
  });
});

describe("pump mode's discrepancy rule", () => {
  it("a job the helper fails but this machine compiles is a discrepancy; after DISTCC_MAX_DISCREPANCY pump mode stops", async () => {
    const dir = project("discrepancy");
    // The assembler reads data.bin (.incbin): no include analysis can know, so the helper fails.
    writeFileSync(join(dir, "data.bin"), "0123456789");
    writeFileSync(
      join(dir, "blob.c"),
      'asm(".section .rodata\\n.global blob\\nblob: .incbin \\"data.bin\\"\\n.previous");\nint x;\n',
    );
    const state = join(tmp.path, "state-discrepancy");
    const env = clientEnv(state, `${ours.host},cpp,lzo`, { DISTCC_VERBOSE: "1" });
    try {
      const first = await run(launcher, ["gcc", "-c", "blob.c", "-o", "blob.o"], { cwd: dir, env });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(
        /failed on a pump-mode helper but compiled here: a discrepancy \(1 of DISTCC_MAX_DISCREPANCY=1\)/,
      );
      const second = await run(launcher, ["gcc", "-I../include", "-c", "cpath.c", "-o", "cpath.o"], { cwd: dir, env });
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/pump mode is off for the rest of this build/);
      expect(second.stderr).toMatch(/protocol 2/);
    } finally {
      await stopAgent(state);
    }
  });
});
