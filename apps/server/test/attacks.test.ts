// Long because each attack of the report is its own case, each with its control.
// The attacks of issue 14, classes 1 (code run on the helper) and 2 (files written or read where the
// client says), sent to our server over a real socket and compiled (or not) by the real gcc. None
// may load the client's code, write outside the job folder or show a server file; the server keeps
// serving. What Debian's distccd 3.4 does with each is recorded in docs/server-refusals.md (it runs
// them all, except `-fplugin=` spelled that way).
import { waitFor } from "@x/testkit";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRequest, type CompileRequest, type CompileResponse } from "@x/distcc-protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobSummary } from "../src/job-result.js";
import {
  clientDir,
  disassembly,
  distccEnv,
  exchange,
  jobAfter,
  run,
  startTestServer,
  type TestServer,
} from "./helpers.js";
import { decodeResponse } from "./wire.js";

let srv: TestServer;
let outside: string;
let plugin: Buffer;
let marker: string;
let secret: string;
const SECRET_LINE = "SECRET_LINE_5d41402abc";

beforeAll(async () => {
  srv = await startTestServer();
  // Somewhere the server's user may write (the test runs as the server), outside its temp dir.
  outside = mkdtempSync(join(tmpdir(), "distcc-attacks-"));
  chmodSync(outside, 0o777);
  marker = join(outside, "plugin-ran");
  secret = join(outside, "secret.txt");
  writeFileSync(secret, `${SECRET_LINE}\n`, { mode: 0o644 });
  // A shared object that, once loaded by cc1, leaves a mark: a gcc plugin needs no more than this.
  const src = join(outside, "evil.c");
  writeFileSync(
    src,
    `#include <fcntl.h>\n#include <unistd.h>\nint plugin_is_GPL_compatible;\nint plugin_init(void *a, void *b) { return 0; }\n` +
      `__attribute__((constructor)) static void evil(void) { int fd = open("${marker}", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); }\n`,
  );
  execFileSync("gcc", ["-shared", "-fPIC", "-o", join(outside, "evil.so"), src]);
  plugin = readFileSync(join(outside, "evil.so"));
});

afterAll(async () => {
  await srv?.stop();
  rmSync(outside, { recursive: true, force: true });
});

afterEach(async () => {
  // Whatever the attack, the server still compiles a good request and leaves nothing behind.
  const good = await send({
    version: 2,
    argv: ["gcc", "-c", "ok.c", "-o", "ok.o"],
    source: Buffer.from("int ok(void) { return 1; }\n"),
  });
  expect(good.response.status).toBe(0);
  expect(good.response.object.length).toBeGreaterThan(500);
  expect(await srv.leftovers()).toEqual([]);
  // ... and nothing appeared outside the job folders but what the test put there.
  expect(readdirSync(outside).sort()).toEqual(["evil.c", "evil.so", "secret.txt"]);
});

async function send(request: CompileRequest): Promise<{ response: CompileResponse; stderr: string; job: JobSummary }> {
  const before = srv.jobs.length;
  const r = await exchange(srv.port, encodeRequest(request));
  const response = decodeResponse(r.bytes, request.version);
  return { response, stderr: Buffer.from(response.stderr).toString(), job: await jobAfter(srv, before) };
}

const hello = Buffer.from("int hello(void) { return 42; }\n");
const v2 = (argv: string[], source: Uint8Array = hello): CompileRequest => ({ version: 2, argv, source });
const v3 = (argv: string[], extra: CompileRequest["files"] = []): CompileRequest => ({
  version: 3,
  cwd: "/src",
  argv,
  files: [{ kind: "file", name: "/src/x.c", content: hello }, ...(extra ?? [])],
});

describe("class 1: the client's code never runs on the helper", () => {
  it("the plugin is real: gcc run by hand loads it and it leaves its mark", () => {
    const dir = mkdtempSync(join(tmpdir(), "distcc-attacks-control-"));
    try {
      writeFileSync(join(dir, "x.c"), hello);
      execFileSync("gcc", [`-fplugin=${join(outside, "evil.so")}`, "-c", "x.c", "-o", "x.o"], { cwd: dir });
      expect(existsSync(marker)).toBe(true);
    } finally {
      rmSync(marker, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["--plugin=./input.i", ["gcc", "--plugin=./input.i", "-c", "x.c", "-o", "x.o"]],
    ["-fplugin=./input.i", ["gcc", "-fplugin=./input.i", "-c", "x.c", "-o", "x.o"]],
    ["--compare-debug", ["gcc", "--compare-debug=-fplugin=./input.i", "-c", "x.c", "-o", "x.o"]],
  ])("protocol 2, %s with the body a shared object: refused, never loaded", async (_name, argv) => {
    const { response, stderr, job } = await send(v2(argv, plugin));
    expect(response.status).toBe(101 << 8);
    expect(stderr).toMatch(/refused: .*loads code|re-runs the compile/);
    expect(job.compileMs).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("protocol 3, -fcompare-debug=-fplugin=./evil.so with the library uploaded as a FILE: refused, never loaded", async () => {
    const { response, stderr } = await send(
      v3(
        ["gcc", "-fcompare-debug=-fplugin=./evil.so", "-c", "x.c", "-o", "x.o"],
        [{ kind: "file", name: "/src/evil.so", content: plugin }],
      ),
    );
    expect(response.status).toBe(101 << 8);
    expect(stderr).toMatch(/-fcompare-debug=-fplugin=\.\/evil\.so.*re-runs the compile/);
    expect(existsSync(marker)).toBe(false);
  });

  it.each(["/src/h.h.gch", "/src/h.h.pch", "/src/h.pcm"])(
    "protocol 3, a precompiled header uploaded beside a header (%s): refused",
    async (name) => {
      // clang picks `h.h.pch` up by itself for `-include h.h` (a fresh attacker's try).
      const { response, stderr } = await send(
        v3(
          ["gcc", "-include", "h.h", "-c", "x.c", "-o", "x.o"],
          [
            { kind: "file", name, content: plugin },
            { kind: "file", name: "/src/h.h", content: Buffer.from("\n") },
          ],
        ),
      );
      expect(response.status).toBe(101 << 8);
      expect(stderr).toMatch(/precompiled headers/);
    },
  );
});

// Each names a file outside the job folder that gcc (or as) would write.
const WRITES: [string, (path: string) => string[]][] = [
  ["--output=PATH", (p) => [`--output=${p}`]],
  ["-o PATH after -o", (p) => ["-o", p]],
  ["-Wa,--M=PATH", (p) => [`-Wa,--M=${p}`]],
  ["-Xassembler --M=PATH", (p) => ["-Xassembler", `--M=${p}`]],
  ["--for-assembler=--MD=PATH", (p) => [`--for-assembler=--MD=${p}`]],
  ["--for-assembler=-a=PATH", (p) => [`--for-assembler=-a=${p}`]],
  ["--dump-tree-original=PATH", (p) => [`--dump-tree-original=${p}`]],
  ["--dump-rtl-final=PATH", (p) => [`--dump-rtl-final=${p}`]],
  ["--dump-final-insns=PATH", (p) => [`--dump-final-insns=${p}`]],
  ["--dump-go-spec=PATH", (p) => [`--dump-go-spec=${p}`]],
  ["--opt-info-all=PATH", (p) => [`--opt-info-all=${p}`]],
  ["--test-coverage --profile-note=PATH", (p) => ["--test-coverage", `--profile-note=${p}`]],
  ["-fdump-tree-original=PATH", (p) => [`-fdump-tree-original=${p}`]],
  ["-aux-info PATH", (p) => ["-aux-info", p]],
  ["-MD -MF PATH", (p) => ["-MD", "-MF", p]],
  ["-Wp,-MD,PATH", (p) => [`-Wp,-MD,${p}`]],
];

describe("class 2: nothing is written outside the job folder", () => {
  let n = 0;
  for (const [name, words] of WRITES) {
    for (const version of [2, 3] as const) {
      it(`protocol ${version}: ${name}`, async () => {
        const path = join(outside, `written-${n++}`);
        const argv = ["gcc", "-O1", "-c", "x.c", "-o", "x.o", ...words(path)];
        const before = srv.jobs.length;
        const r = await exchange(srv.port, encodeRequest(version === 2 ? v2(argv) : v3(argv)));
        // Refused (101), compiled with the server's own output only, or (two -o, "a link?" to
        // distcc's scan) dropped without an answer as distccd does.
        if (r.bytes.length === 0) expect((await jobAfter(srv, before)).reason).toMatch(/not distributable/);
        else expect([0, 101 << 8]).toContain(decodeResponse(r.bytes, version).status);
        expect(existsSync(path)).toBe(false);
      });
    }
  }

  // (The server's own -MF, last, already won over these before the allow-list; this keeps it so.)
  it("protocol 3: a dependency file named through a client LINK that leads out of the job is not written", async () => {
    const up = "../".repeat(40) + outside.replace(/^\/+/, "");
    for (const words of [
      ["-Wp,-MD,out/dep.d"],
      ["-Wp,-MMD,out/dep.d"],
      ["-MD", "-MF", "out/dep.d"],
      ["-Wp,-MF,out/dep.d", "-MD"],
    ]) {
      const { response } = await send(
        v3(["gcc", "-c", "x.c", "-o", "x.o", ...words], [{ kind: "link", name: "/src/out", target: up }]),
      );
      expect(response.status).toBe(0);
      expect(existsSync(join(outside, "dep.d"))).toBe(false);
    }
  });

  it("-MQ -ofoo -o PATH with -S and a top-level asm(): the real output is the server's, PATH untouched", async () => {
    const path = join(outside, "mq-output");
    const source = Buffer.from('asm(".ascii \\"chosen by the client\\"");\nint f(void) { return 1; }\n');
    for (const request of [
      v2(["gcc", "-MQ", "-ofoo", "-o", path, "-S", "x.c"], source),
      v3(["gcc", "-MQ", "-ofoo", "-o", path, "-S", "x.c"]),
    ]) {
      const { response } = await send(request);
      expect(response.status).toBe(0);
      expect(response.object.length).toBeGreaterThan(0);
      expect(existsSync(path)).toBe(false);
      expect(existsSync(join(outside, "foo"))).toBe(false);
    }
  });
});

describe("class 2: no server file is read", () => {
  it.each([
    ["--include=FILE", (f: string) => [`--include=${f}`]],
    ["-include FILE", (f: string) => ["-include", f]],
    ["-imacros FILE", (f: string) => ["-imacros", f]],
    ["@FILE", (f: string) => [`@${f}`]],
    ["-Wa,FILE (assembled as input)", (f: string) => [`-Wa,${f}`]],
  ])("protocol 2: %s is refused and the file's line never comes back", async (_name, words) => {
    const { response, stderr } = await send(v2(["gcc", "-c", "x.c", "-o", "x.o", ...words(secret)]));
    expect(response.status).toBe(101 << 8);
    expect(stderr).not.toContain(SECRET_LINE);
  });

  it("protocol 2, a linemarker naming a server file before an error: gcc prints no line of it", async () => {
    const text = `# 1 "${secret}"\nint x = ;\n`;
    // The channel is real: gcc run by hand prints the secret's line under the error.
    const dir = mkdtempSync(join(tmpdir(), "distcc-attacks-lm-"));
    try {
      writeFileSync(join(dir, "lm.i"), text);
      let local = "";
      try {
        execFileSync("gcc", ["-c", "lm.i", "-o", "lm.o"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      } catch (e) {
        local = String((e as { stderr?: Buffer }).stderr ?? "");
      }
      expect(local).toContain(SECRET_LINE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const argv of [
      ["gcc", "-c", "x.c", "-o", "x.o"],
      ["gcc", "-fdiagnostics-show-caret", "-c", "x.c", "-o", "x.o"],
      ["cc", "-c", "x.c", "-o", "x.o"],
    ]) {
      const { response, stderr } = await send(v2(argv, Buffer.from(text)));
      expect(response.status).not.toBe(0);
      expect(stderr).toMatch(/error: expected expression/);
      expect(stderr).not.toContain(SECRET_LINE);
    }
  });

  it("protocol 3: an absolute -include is read from the job's own tree, not the server's", async () => {
    const { response, stderr } = await send(v3(["gcc", "-include", secret, "-c", "x.c", "-o", "x.o"]));
    expect(response.status).not.toBe(0);
    expect(stderr).not.toContain(SECRET_LINE);
  });

  it.each([
    ["-x c", ["gcc", "-x", "c", "-c", "x.c", "-o", "x.o"]],
    ["no -x", ["gcc", "-c", "x.c", "-o", "x.o"]],
    ["-x c++ (g++)", ["g++", "-x", "c++", "-c", "x.cc", "-o", "x.o"]],
  ])(
    "protocol 2, %s with #include of a server file in the text: compiled as preprocessed text, the file is not read",
    async (_name, argv) => {
      const { response, stderr } = await send(v2(argv, Buffer.from(`#include "${secret}"\nint x;\n`)));
      expect(response.status).not.toBe(0);
      expect(stderr).toMatch(/stray '#'|stray ‘#’/);
      expect(stderr).not.toContain(SECRET_LINE);
    },
  );

  it.each([
    ["-fdirectives-only", ["gcc", "-fdirectives-only", "-c", "x.c", "-o", "x.o"], `#include "SECRET"\nint x;\n`],
    [
      "-fdirectives-only, spliced and digraph",
      ["gcc", "-fdirectives-only", "-c", "x.c", "-o", "x.o"],
      `%:inc\\\nlude "SECRET"\nint x;\n`,
    ],
    [
      "-fdirectives-only, __has_include",
      ["gcc", "-fdirectives-only", "-c", "x.c", "-o", "x.o"],
      `#if __has_include("SECRET")\nint x;\n#endif\n`,
    ],
    ["clang (which acts on #include in a .i)", ["clang", "-c", "x.c", "-o", "x.o"], `#include "SECRET"\nint x;\n`],
    ["#pragma GCC dependency", ["gcc", "-c", "x.c", "-o", "x.o"], `#pragma GCC dependency "SECRET"\nint x;\n`],
    ["#pragma GCC pch_preprocess", ["gcc", "-c", "x.c", "-o", "x.o"], `#pragma GCC pch_preprocess "SECRET"\nint x;\n`],
  ])("protocol 2, %s: the text is refused before any compile", async (_name, argv, text) => {
    const { response, stderr, job } = await send(v2(argv, Buffer.from(text.replace("SECRET", secret))));
    expect(response.status).toBe(101 << 8);
    expect(stderr).toMatch(/preprocessed text holds/);
    expect(stderr).not.toContain(SECRET_LINE);
    expect(job.compileMs).toBe(0);
  });

  it("clang still compiles preprocessed text (given as cpp-output)", async () => {
    for (const [compiler, file] of [
      ["clang", "x.c"],
      ["clang++", "x.cc"],
    ] as const) {
      const { response, stderr } = await send(v2([compiler, "-O2", "-c", file, "-o", "x.o"], hello));
      expect(response.status, stderr).toBe(0);
      expect(response.object.length).toBeGreaterThan(500);
    }
  });

  it("a real client's directives-only text still compiles", async () => {
    const dir = mkdtempSync(join(tmpdir(), "distcc-attacks-do-"));
    try {
      writeFileSync(
        join(dir, "m.c"),
        '#include <stdio.h>\n#include <stdlib.h>\n#define TWICE(x) ((x) * 2)\nint main(void) { printf("%d\\n", TWICE(21)); return 0; }\n',
      );
      execFileSync("gcc", ["-E", "-fdirectives-only", "m.c", "-o", "m.i"], { cwd: dir });
      const { response } = await send(
        v2(["gcc", "-fdirectives-only", "-O2", "-c", "m.c", "-o", "m.o"], readFileSync(join(dir, "m.i"))),
      );
      expect(response.status).toBe(0);
      expect(response.object.length).toBeGreaterThan(500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the refusal says why and is logged", () => {
  it("--plugin= is reported with gcc's reading of it", async () => {
    const { stderr, job } = await send(v2(["gcc", "--plugin=./input.i", "-c", "x.c", "-o", "x.o"], plugin));
    expect(stderr).toContain('option "--plugin=./input.i" (read by gcc as "-fplugin=./input.i") refused');
    expect(job.reason).toContain("-fplugin=./input.i");
    expect(srv.lines.some((l) => l.startsWith("warning (check_request)") && l.includes("--plugin=./input.i"))).toBe(
      true,
    );
  });
});

// What Linux 6.1's kbuild passes for an x86_64 object with gcc 12 (ftrace, retpolines, stack
// protector, -Wa, options), minus the include paths of a tree we do not have here.
const KERNEL_FLAGS = [
  "-Wall",
  "-Wundef",
  "-Werror=strict-prototypes",
  "-Wno-trigraphs",
  "-fno-strict-aliasing",
  "-fno-common",
  "-fshort-wchar",
  "-fno-PIE",
  "-std=gnu11",
  "-mno-sse",
  "-mno-mmx",
  "-mno-sse2",
  "-mno-3dnow",
  "-mno-avx",
  "-fcf-protection=none",
  "-m64",
  "-falign-jumps=1",
  "-falign-loops=1",
  "-mno-80387",
  "-mno-fp-ret-in-387",
  "-mpreferred-stack-boundary=3",
  "-mskip-rax-setup",
  "-mtune=generic",
  "-mno-red-zone",
  "-mcmodel=kernel",
  "-fno-asynchronous-unwind-tables",
  "-mindirect-branch=thunk-extern",
  "-mindirect-branch-register",
  "-mfunction-return=thunk-extern",
  "-fno-jump-tables",
  "-fpatchable-function-entry=16,16",
  "-fno-delete-null-pointer-checks",
  "-O2",
  "-fno-allow-store-data-races",
  "-Wframe-larger-than=2048",
  "-fstack-protector-strong",
  "-ftrivial-auto-var-init=zero",
  "-fno-stack-clash-protection",
  "-fzero-call-used-regs=used-gpr",
  "-fno-strict-overflow",
  "-fno-stack-check",
  "-fconserve-stack",
  "-g",
  "-gdwarf-5",
  "-pg",
  "-mrecord-mcount",
  "-mfentry",
  "-Wa,--noexecstack",
  "-Wa,-mx86-used-note=no",
  "-mstack-protector-guard-reg=gs",
  "-mstack-protector-guard-symbol=__stack_chk_guard",
  '-DKBUILD_MODNAME="fork"',
  "-D__KERNEL__",
];

describe("what real builds send still distributes (Debian's distcc client, no fallback)", () => {
  it.each([
    ["kernel-like flags with -Wp,-MMD", [...KERNEL_FLAGS, "-Wp,-MMD,.k.o.d", "-c", "k.c"]],
    ["C++ with -g -MD -MF", ["-O2", "-g", "-MD", "-MF", "kx.d", "-c", "kx.cpp"]],
    ["-S", ["-O1", "-S", "k.c"]],
  ])("%s: compiled on our server, same code as a local compile", async (_name, args) => {
    const dir = clientDir();
    try {
      writeFileSync(
        join(dir.path, "k.c"),
        "#include <stddef.h>\nint f(int *p) { return p[1] + 1; }\nint g(void) { return f(NULL); }\n",
      );
      writeFileSync(
        join(dir.path, "kx.cpp"),
        "#include <vector>\nint s(const std::vector<int>& v) { return v.size(); }\n",
      );
      const compiler = args.includes("kx.cpp") ? "g++" : "gcc";
      const assemble = args.includes("-S");
      const out = (tag: string): string => `${tag}.${assemble ? "s" : "o"}`;
      const ok = srv.server.stats().results.COMPILE_OK;
      const remote = await run("distcc", [compiler, ...args, "-o", out("remote")], {
        cwd: dir.path,
        env: distccEnv(`${srv.hosts},lzo`, dir.distccDir),
      });
      expect(remote.code, remote.stderr).toBe(0);
      await waitFor(
        "srv.server.stats().results.COMPILE_OK === ok + 1",
        () => srv.server.stats().results.COMPILE_OK === ok + 1,
      );
      const local = await run(compiler, [...args, "-o", out("local")], { cwd: dir.path });
      expect(local.code, local.stderr).toBe(0);
      if (assemble)
        expect(readFileSync(join(dir.path, "remote.s"), "utf8").replace(/\.file.*\n/, "")).toBe(
          readFileSync(join(dir.path, "local.s"), "utf8").replace(/\.file.*\n/, ""),
        );
      else expect(await disassembly("remote.o", dir.path)).toBe(await disassembly("local.o", dir.path));
    } finally {
      dir.remove();
    }
  });
});
