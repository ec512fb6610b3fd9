import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd } from "@x/testkit";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import {
  clientEnv,
  disassemble,
  distccdJobs,
  makeLinks,
  run,
  stopAgent,
  waitForJobs,
  withoutSourceSnippets,
} from "./helpers.js";

const SOURCES: Record<string, string> = {
  "hello.c": '#include <stdio.h>\n#include "hello.h"\nint main(void) { printf("%d\\n", ANSWER); return 0; }\n',
  "hello.h": "#define ANSWER 42\n",
  "warn.c": "int f(int x) { int unused; return x * 2; }\n",
  "bad.c": "int f(void) { return undeclared_thing; }\n",
  "hello.cpp": '#include <string>\nstd::string greet() { return std::string("hi"); }\n',
};

interface Case {
  name: string;
  compiler: string;
  args: string[];
  /** Files to compare byte for byte (besides the object's disassembly). */
  outputs: { object?: string; text?: string[] };
  expectCode: number;
}

const CASES: Case[] = [
  {
    name: "C",
    compiler: "gcc",
    args: ["-O2", "-c", "hello.c", "-o", "hello.o"],
    outputs: { object: "hello.o" },
    expectCode: 0,
  },
  {
    name: "C++",
    compiler: "g++",
    args: ["-O2", "-c", "hello.cpp", "-o", "hello.o"],
    outputs: { object: "hello.o" },
    expectCode: 0,
  },
  { name: "warning", compiler: "gcc", args: ["-Wall", "-c", "warn.c"], outputs: { object: "warn.o" }, expectCode: 0 },
  { name: "error", compiler: "gcc", args: ["-c", "bad.c"], outputs: {}, expectCode: 1 },
  { name: "-S", compiler: "gcc", args: ["-O1", "-S", "hello.c"], outputs: { text: ["hello.s"] }, expectCode: 0 },
  {
    name: "-g",
    compiler: "gcc",
    args: ["-g", "-c", "hello.c", "-o", "obj/hello.o"],
    outputs: { object: "obj/hello.o" },
    expectCode: 0,
  },
  {
    name: "-MD",
    compiler: "gcc",
    args: ["-MD", "-c", "hello.c", "-o", "obj/hello.o"],
    outputs: { object: "obj/hello.o", text: ["obj/hello.d"] },
    expectCode: 0,
  },
  {
    name: "-MD -MF",
    compiler: "gcc",
    args: ["-MD", "-MF", "deps/h.d", "-c", "hello.c", "-o", "hello.o"],
    outputs: { object: "hello.o", text: ["deps/h.d"] },
    expectCode: 0,
  },
  {
    name: "-MMD",
    compiler: "gcc",
    args: ["-MMD", "-c", "hello.c"],
    outputs: { object: "hello.o", text: ["hello.d"] },
    expectCode: 0,
  },
  // clang (installed by scripts/setup.sh): sent with `-target <its -dumpmachine>` appended (spec 9.2).
  {
    name: "clang",
    compiler: "clang",
    args: ["-O2", "-c", "hello.c", "-o", "hello.o"],
    outputs: { object: "hello.o" },
    expectCode: 0,
  },
];

const SERVERS: [string, () => Promise<ServerHandle>][] = [
  ["Debian's distccd", () => startDistccd({ jobs: 4 })],
  ["our distcc-server", () => startDistccServer({ jobs: 4 })],
];

describe.each(SERVERS)("remote compiles against %s match local ones", (_name, startServer) => {
  let server: ServerHandle;
  const tmp = makeTempDir("client-compile-");
  let launcher = "";
  let linksDir = "";
  const distccDir = join(tmp.path, "state");

  beforeAll(async () => {
    server = await startServer();
    ({ launcher, dir: linksDir } = makeLinks(join(tmp.path, "links")));
  });
  afterAll(async () => {
    await stopAgent(distccDir);
    await server?.stop();
    tmp.remove();
  });

  function workdir(name: string): string {
    const dir = join(tmp.path, name);
    mkdirSync(dir, { recursive: true });
    mkdirSync(join(dir, "deps"), { recursive: true });
    mkdirSync(join(dir, "obj"), { recursive: true });
    for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(dir, file), text);
    return dir;
  }

  for (const protocol of [1, 2] as const) {
    for (const c of CASES) {
      it(`${c.name}, protocol ${protocol}`, async () => {
        const slug = `${c.name.replace(/\W+/g, "_")}-p${protocol}`;
        const localDir = workdir(`local-${slug}`);
        const remoteDir = workdir(`remote-${slug}`);
        const hosts = protocol === 1 ? server.host : `${server.host},lzo`;
        const env = clientEnv(distccDir, hosts, { DISTCC_FALLBACK: "0", DISTCC_SKIP_LOCAL_RETRY: "1" });
        const before = distccdJobs(server.log());
        const local = await run(c.compiler, c.args, { cwd: localDir, env: process.env });
        const remote = await run(launcher, [c.compiler, ...c.args], { cwd: remoteDir, env });
        expect(local.code).toBe(c.expectCode);
        expect(remote.code).toBe(local.code);
        expect(withoutSourceSnippets(remote.stderr)).toBe(withoutSourceSnippets(local.stderr));
        if (c.outputs.object) {
          expect(await disassemble(join(remoteDir, c.outputs.object))).toBe(
            await disassemble(join(localDir, c.outputs.object)),
          );
        }
        for (const f of c.outputs.text ?? []) {
          expect(existsSync(join(remoteDir, f)), f).toBe(true);
          expect(readFileSync(join(remoteDir, f), "utf8")).toBe(readFileSync(join(localDir, f), "utf8"));
        }
        // The server log proves the job ran there (DISTCC_FALLBACK=0: no local fallback can fake it).
        if (c.expectCode === 0) expect((await waitForJobs(server.log, { ok: before.ok + 1 })).ok).toBe(before.ok + 1);
        else expect((await waitForJobs(server.log, { error: before.error + 1 })).error).toBe(before.error + 1);
      });
    }
  }

  it("masquerade: a link named gcc first on PATH distributes", async () => {
    const dir = workdir("masquerade");
    const env = clientEnv(distccDir, server.host, { DISTCC_FALLBACK: "0" });
    env.PATH = `${linksDir}:${process.env.PATH}`;
    const before = distccdJobs(server.log()).ok;
    const r = await run("gcc", ["-O2", "-c", "hello.c"], { cwd: dir, env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((await waitForJobs(server.log, { ok: before + 1 })).ok).toBe(before + 1);
    const localDir = workdir("masquerade-local");
    await run("gcc", ["-O2", "-c", "hello.c"], { cwd: localDir, env: process.env });
    expect(await disassemble(join(dir, "hello.o"))).toBe(await disassemble(join(localDir, "hello.o")));
    // Linking is not distributable: it runs here through the same link, and works.
    const link = await run("gcc", ["hello.o", "-o", "hello"], { cwd: dir, env });
    expect(link.code).toBe(0);
    const out = await run(join(dir, "hello"), [], { cwd: dir, env });
    expect(out.stdout).toBe("42\n");
  });

  it("error with the default local retry: stderr exactly as a local compile", async () => {
    const localDir = workdir("retry-local");
    const remoteDir = workdir("retry-remote");
    const env = clientEnv(distccDir, server.host);
    const local = await run("gcc", ["-c", "bad.c"], { cwd: localDir, env: process.env });
    const remote = await run(launcher, ["gcc", "-c", "bad.c"], { cwd: remoteDir, env });
    expect(remote.code).toBe(1);
    expect(remote.stderr).toBe(local.stderr);
  });
});
