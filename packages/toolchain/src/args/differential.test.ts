// Long because the generated cases, the stub distccd and the comparison belong to one experiment.
// Differential test against the real distcc 3.4 client (Debian's `distcc`): a few hundred command
// lines generated from the grammar's pieces go through both. The real client talks to a stub
// distccd on 127.0.0.1 that records the request and answers "compiled OK"; a fake compiler makes
// local runs free. We compare: distributed or not, the reason it logged, the expanded argv it
// scanned, and every ARGV word it sent. Deliberate differences are asserted as such.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { mulberry32 } from "@x/distcc-scheduler/sim";
import { freePort, makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preprocessorArgv, serverArgv } from "./commands.js";
import { clangTargetArgs, qualifiedCompilerName } from "./compiler-name.js";
import { describeLocalReason } from "./reasons.js";
import { scanArgs, type DistributableScan } from "./scan.js";

const CASES = Number(process.env.ARGS_DIFF_CASES ?? 300);
const SEED = Number(process.env.ARGS_DIFF_SEED ?? 20261126);

// Pieces of the grammar. Multi-word pieces stay together; none ends with a dangling -o/-MF.
const ACTIONS = [["-c"], ["-S"], ["-E"], [], ["-c", "-S"], ["-c", "-c"]];
const INPUTS = [
  "hello.c",
  "hello.c",
  "hello.c",
  "x.cpp",
  "x.cc",
  "hello.i",
  "x.ii",
  "x.mm",
  "x.M",
  "x.C",
  "sub/deep.c",
  "foo.s",
  "foo.S",
  "conftest.c",
  "sub/tmp.conftest.c",
  "noext",
  "-",
  "a.CC",
  "warning.c",
  ".c",
];
const OUTPUTS = [
  [],
  [],
  ["-o", "hello.o"],
  ["-oout.o"],
  ["-o", "out/x.o"],
  ["-o", "-"],
  ["-o-"],
  ["x.o"],
  ["-o", "a.o", "-o", "b.o"],
  ["-o", "hello.obj"],
  ["-o", "out/x.s"],
];
const OPTIONS: string[][] = [
  ["-O2"],
  ["-g"],
  ["-Wall"],
  ["-DX=1"],
  ["-D", "Y"],
  ["-I."],
  ["-I", "inc"],
  ["-include", "hello.h"],
  ["-isystem", "/usr/include"],
  ["-MD"],
  ["-MMD"],
  ["-MF", "dep.d"],
  ["-MFdep2.d"],
  ["-MT", "tgt"],
  ["-MQ", "q"],
  ["-MG"],
  ["-MP"],
  ["-M"],
  ["-MM"],
  ["-Wp,-MD,wp.d"],
  ["-Wp,-MMD,wp2.d,-DWP"],
  ["-Wp,-DWP"],
  ["-march=native"],
  ["-mtune=native"],
  ["-mcpu=native"],
  ["-march=x86-64"],
  ["-flto"],
  ["-flto=auto"],
  ["-fprofile-arcs"],
  ["-fprofile-generate=dir"],
  ["-fprofile-use"],
  ["--coverage"],
  ["-ftest-coverage"],
  ["-frepo"],
  ["-x", "c"],
  ["-x", "c++"],
  ["-x", "assembler"],
  ["-x", "none"],
  ["-xc"],
  ["-x", "go"],
  ["-drtl"],
  ["-dD"],
  ["-specs=foo.specs"],
  ["--specs=foo.specs"],
  ["-Wa,-adhln=x.lst"],
  ["-Wa,--noexecstack"],
  ["-Wa,--MD,a.d"],
  ["-fPIC"],
  ["-std=c99"],
  ["-fplugin=x.so"],
  ["-undef"],
  ["-nostdinc"],
  ["-L", "lib"],
  ["-lm"],
  ["-Wl,-O1"],
  ["-stdlib=libc++"],
  ["-iquote", "q"],
  ["-idirafter", "d"],
  ["-imacros", "m.h"],
  ["-iprefix", "p/"],
  ["-iwithprefix", "w"],
  ["@args.rsp"],
  ["@nested.rsp"],
  ["@missing.rsp"],
  ["-pipe"],
  ["-fno-common"],
  ["-ohello.o"],
];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function generate(rand: () => number): string[] {
  const groups: string[][] = [pick(rand, ACTIONS)];
  const inputs = rand() < 0.1 ? 2 : rand() < 0.92 ? 1 : 0;
  for (let i = 0; i < inputs; i++) groups.push([pick(rand, INPUTS)]);
  groups.push(pick(rand, OUTPUTS));
  const options = Math.floor(rand() * 5);
  for (let i = 0; i < options; i++) groups.push(pick(rand, OPTIONS));
  for (let i = groups.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [groups[i], groups[j]] = [groups[j]!, groups[i]!];
  }
  return ["fakecc", ...groups.flat()];
}

interface ClientRun {
  exit: number | null;
  stderr: string;
  sent?: string[];
}

/** A stub distccd (protocol 1): reads DIST, ARGC, ARGVs and DOTI, answers success with an empty object. */
class StubServer {
  private server: Server | undefined;
  lastArgv: string[] | undefined;
  port = 0;

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve) => this.server!.listen(this.port, "127.0.0.1", resolve));
  }

  private serve(socket: Socket): void {
    let buf = Buffer.alloc(0);
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const argv: string[] = [];
      let off = 0;
      while (buf.length - off >= 12) {
        const name = buf.toString("latin1", off, off + 4);
        const n = parseInt(buf.toString("latin1", off + 4, off + 12), 16);
        off += 12;
        if (name === "ARGV" || name === "DOTI") {
          if (buf.length - off < n) return;
          if (name === "ARGV") argv.push(buf.toString("utf8", off, off + n));
          off += n;
          if (name === "DOTI") {
            this.lastArgv = argv;
            socket.end("DONE00000001STAT00000000SERR00000000SOUT00000000DOTO00000000");
            return;
          }
        }
      }
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function runClient(argv: string[], dir: string, port: number, stub: StubServer): Promise<ClientRun> {
  stub.lastArgv = undefined;
  return new Promise((resolve, reject) => {
    const child = spawn("distcc", argv, {
      cwd: dir,
      env: {
        PATH: `${join(dir, "bin")}:/usr/bin:/bin`,
        HOME: dir,
        LC_ALL: "C",
        DISTCC_HOSTS: `127.0.0.1:${port}`,
        DISTCC_VERBOSE: "1",
        DISTCC_FALLBACK: "0",
        DISTCC_DIR: join(dir, "distcc-dir"),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (exit) => {
      clearTimeout(timer);
      const run: ClientRun = { exit, stderr };
      if (stub.lastArgv !== undefined) run.sent = stub.lastArgv;
      resolve(run);
    });
  });
}

const OUR_OWN_REASONS = new Set(["missing-argument", "no-compiler", "response-file-loop"]);

describe("differential: our scan vs the real distcc client", () => {
  const dir = makeTempDir("args-diff-");
  const stub = new StubServer();

  beforeAll(async () => {
    await stub.start();
    const d = dir.path;
    for (const sub of ["bin", "sub", "out", "inc", "distcc-dir"]) mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(join(d, "bin", "fakecc"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(d, "bin", "fakecc"), 0o755);
    for (const f of ["hello.c", "warning.c", "x.cpp", "x.cc", "x.mm", "x.M", "x.C", "sub/deep.c", "hello.h"]) {
      writeFileSync(join(d, f), "int x;\n");
    }
    writeFileSync(join(d, "hello.i"), "int i;\n");
    writeFileSync(join(d, "x.ii"), "int ii;\n");
    writeFileSync(join(d, "args.rsp"), "-O1 'quoted word' -DQ=\"a b\" back\\ slash\n");
    writeFileSync(join(d, "nested.rsp"), "-g3 @args.rsp -Wp,-DNESTED");
  });

  afterAll(async () => {
    await stub.stop();
    dir.remove();
  });

  it(`agrees on ${CASES} generated command lines`, async () => {
    const rand = mulberry32(SEED);
    const mismatches: string[] = [];
    let distributed = 0;
    const reasonsSeen = new Set<string>();
    for (let n = 0; n < CASES; n++) {
      const argv = generate(rand);
      const ours = scanArgs(argv, { cwd: dir.path });
      const real = await runClient(argv, dir.path, stub.port, stub);
      const line = argv.join(" ");

      // The scanned argv (after @file and -Wp, expansion), from distcc's trace line.
      const scanned = /\(dcc_scan_args\) scanning arguments: (.*)/.exec(real.stderr)?.[1];
      if (scanned !== traceJoin(stripAppendedOutput(ours))) {
        mismatches.push(`${line}\n  scanned: real "${scanned}" ours "${traceJoin(stripAppendedOutput(ours))}"`);
      }

      if (!ours.distributable && ours.reason.code === "native-cpu" && ours.reason.option === "-mcpu=native") {
        // Deliberate: distcc 3.4 distributes -mcpu=native (a helper would build for its own CPU).
        continue;
      }
      if (ours.distributable !== (real.sent !== undefined)) {
        mismatches.push(
          `${line}\n  verdict: real ${real.sent ? "remote" : "local"}, ours ${ours.distributable ? "remote" : describeLocalReason(ours.reason)}`,
        );
        continue;
      }
      if (ours.distributable) {
        distributed++;
        // Deliberate: after a trailing -xLANG ours puts the appended -o before it (distcc appends it
        // last, where distccd reads it as the language and drops the job); compared with -o last.
        const wire = withAppendedOutputLast(ours, serverArgv(ours, 1));
        if (JSON.stringify(wire) !== JSON.stringify(real.sent)) {
          mismatches.push(`${line}\n  wire: real ${JSON.stringify(real.sent)} ours ${JSON.stringify(wire)}`);
        }
        // The local preprocessor command distcc forked, against ours minus our .d fix.
        const forked = /\(dcc_spawn_child\) forking to execute: (.*)/.exec(real.stderr)?.[1];
        const cpp = preprocessorArgv(ours);
        const cppWithoutFix = cpp.slice(0, cpp.length - ours.dependencies.cppArgs.length);
        if (ours.preprocessed ? forked !== undefined : forked !== traceJoin(cppWithoutFix)) {
          mismatches.push(`${line}\n  cpp: real "${forked}" ours "${traceJoin(cppWithoutFix)}"`);
        }
      } else {
        reasonsSeen.add(ours.reason.code);
        if (!OUR_OWN_REASONS.has(ours.reason.code) && !real.stderr.includes(describeLocalReason(ours.reason))) {
          mismatches.push(`${line}\n  reason: ours "${describeLocalReason(ours.reason)}" not in the real log`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // The generator must exercise both sides and most rules, or the comparison proves little.
    expect(distributed).toBeGreaterThan(CASES / 10);
    expect(reasonsSeen.size).toBeGreaterThan(12);
  });
});

describe("differential: @file expansion vs the real distcc client", () => {
  const dir = makeTempDir("args-rsp-diff-");
  const stub = new StubServer();
  beforeAll(async () => {
    await stub.start();
    mkdirSync(join(dir.path, "bin"));
    mkdirSync(join(dir.path, "distcc-dir"));
    writeFileSync(join(dir.path, "bin", "fakecc"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(dir.path, "bin", "fakecc"), 0o755);
    writeFileSync(join(dir.path, "hello.c"), "int x;\n");
  });
  afterAll(async () => {
    await stub.stop();
    dir.remove();
  });

  it("sends the same words for 80 generated response files", async () => {
    const rand = mulberry32(SEED + 1);
    // Characters that matter to buildargv, and letters; no leading '-' so nothing is stripped.
    const alphabet = ["a", "b", "z", "0", "=", ",", " ", " ", "\t", "\n", "'", '"', "\\", ".", "/"];
    const mismatches: string[] = [];
    for (let n = 0; n < 80; n++) {
      let text = "";
      const length = Math.floor(rand() * 40);
      for (let i = 0; i < length; i++) text += pick(rand, alphabet);
      if (rand() < 0.2) text += ` @inner${n}.rsp`;
      writeFileSync(join(dir.path, `r${n}.rsp`), text);
      writeFileSync(join(dir.path, `inner${n}.rsp`), "'in ner' x\\ y");
      const argv = ["fakecc", "-c", "hello.c", `@r${n}.rsp`, "-o", "hello.o"];
      const ours = scanArgs(argv, { cwd: dir.path });
      const real = await runClient(argv, dir.path, stub.port, stub);
      const oursSent = ours.distributable ? serverArgv(ours, 1) : undefined;
      if (JSON.stringify(oursSent) !== JSON.stringify(real.sent)) {
        mismatches.push(`${JSON.stringify(text)}: real ${JSON.stringify(real.sent)} ours ${JSON.stringify(oursSent)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("fakecc hello.c -c -xc: distcc appends -o after the -xc (distccd then reads it as the language); we put it before", async () => {
    const argv = ["fakecc", "hello.c", "-c", "-xc"];
    const ours = scanArgs(argv, { cwd: dir.path });
    const real = await runClient(argv, dir.path, stub.port, stub);
    expect(real.sent).toEqual(["fakecc", "hello.c", "-c", "-xc", "-o", "hello.o"]);
    expect(ours.distributable && serverArgv(ours, 1)).toEqual(["fakecc", "hello.c", "-c", "-o", "hello.o", "-xc"]);
  });
});

describe("differential: compiler-name rewriting vs the real distcc client", () => {
  const dir = makeTempDir("args-names-diff-");
  const stub = new StubServer();
  const fakeClangs = ["clang", "clang++", "clang-15", "clang++-15"];
  beforeAll(async () => {
    await stub.start();
    mkdirSync(join(dir.path, "bin"));
    mkdirSync(join(dir.path, "distcc-dir"));
    for (const name of ["fakecc", ...fakeClangs]) {
      writeFileSync(join(dir.path, "bin", name), "#!/bin/sh\nexit 0\n");
      chmodSync(join(dir.path, "bin", name), 0o755);
    }
    writeFileSync(join(dir.path, "hello.c"), "int x;\n");
  });
  afterAll(async () => {
    await stub.stop();
    dir.remove();
  });

  const TRIPLE = "x86_64-pc-linux-gnu"; // compiled into Debian's amd64 distcc
  const cases: string[][] = [
    ["gcc"],
    ["g++"],
    ["cc"],
    ["c++"],
    ["gcc-12"],
    ["g++-12"],
    ["x86_64-linux-gnu-gcc"],
    ["/usr/bin/gcc"],
    ["fakecc"],
    ...fakeClangs.map((c) => [c]),
    ["clang", "-target", "aarch64-linux-gnu"],
  ];
  for (const [compiler, ...extra] of cases) {
    it(`${compiler} ${extra.join(" ")}`, async () => {
      const argv = [compiler!, ...extra, "-c", "hello.c", "-o", "hello.o"];
      const real = await runClient(argv, dir.path, stub.port, stub);
      const scan = scanArgs(argv, { cwd: dir.path });
      expect(scan.distributable).toBe(true);
      if (!scan.distributable) return;
      const wire = serverArgv(scan, 1);
      wire[0] = qualifiedCompilerName(compiler!, TRIPLE) ?? compiler!;
      wire.push(...clangTargetArgs(argv, TRIPLE));
      expect(real.sent).toEqual(wire);
    });
  }

  it("clang --target=X: distcc 3.4 still appends -target (fixed upstream later); we do not", async () => {
    const argv = ["clang", "--target=aarch64-linux-gnu", "-c", "hello.c", "-o", "hello.o"];
    const real = await runClient(argv, dir.path, stub.port, stub);
    expect(real.sent).toEqual([...argv, "-target", TRIPLE]);
    expect(clangTargetArgs(argv, TRIPLE)).toEqual([]);
  });
});

/** distcc logs the argv it scans, before appending "-o X". */
function stripAppendedOutput(scan: ReturnType<typeof scanArgs>): string[] {
  if (scan.distributable && !scan.outputGiven) return withoutOutputPair(scan.argv, scan.output);
  return scan.argv;
}

/** `words` with the `-o OUTPUT` pair the scan appended moved to the end, where distcc puts it. */
function withAppendedOutputLast(scan: DistributableScan, words: string[]): string[] {
  if (scan.outputGiven) return words;
  return [...withoutOutputPair(words, scan.output), "-o", scan.output];
}

/** `words` without the last `-o OUTPUT` pair. */
function withoutOutputPair(words: readonly string[], output: string): string[] {
  for (let i = words.length - 2; i >= 0; i--) {
    if (words[i] === "-o" && words[i + 1] === output) return [...words.slice(0, i), ...words.slice(i + 2)];
  }
  return [...words];
}

/** distcc's `dcc_argv_tostr`: words that are empty or hold blanks or quotes are shown in double quotes. */
function traceJoin(argv: readonly string[]): string {
  return argv.map((a) => (a === "" || /[ \t\n"';]/.test(a) ? `"${a}"` : a)).join(" ");
}
