// Live interop: requests built by this package, sent to Debian's real distccd on loopback.
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, startDistccd, type DistccdHandle } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DistccConnectionError,
  parseWaitStatus,
  sendCompileRequest,
  type CompileRequest,
  type CompileResponse,
  type ProtocolVersion,
} from "../src/index.js";

const SOURCE = `#include <stdio.h>
#include <string.h>
#include "answer.h"
static int table[64];
int fill(int n) { for (int i = 0; i < 64; i++) table[i] = i * n + ANSWER; return table[n & 63]; }
size_t measure(const char *s) { return strlen(s) * 3; }
int main(void) { printf("%d %zu\\n", fill(7), measure("distcc")); return 0; }
`;
const HEADER = "#define ANSWER 42\n";
const COMPILER = "x86_64-linux-gnu-gcc";

let distccd: DistccdHandle;
let work: { path: string; remove(): void };
let preprocessed: Uint8Array;
let localText: Buffer;

function textSection(object: Uint8Array, name: string): Buffer {
  const obj = join(work.path, `${name}.o`);
  const bin = join(work.path, `${name}.text`);
  writeFileSync(obj, object);
  execFileSync("objcopy", ["-O", "binary", "--only-section=.text", obj, bin]);
  return readFileSync(bin);
}

function expectRelocatableElf(object: Uint8Array): void {
  expect(Buffer.from(object.subarray(0, 4)).toString("latin1")).toBe("\x7fELF");
  const eType = object[16]! | (object[17]! << 8);
  expect(eType).toBe(1); // ET_REL
}

beforeAll(async () => {
  work = makeTempDir("protocol-live-");
  writeFileSync(join(work.path, "hello.c"), SOURCE);
  writeFileSync(join(work.path, "answer.h"), HEADER);
  chmodSync(join(work.path, "hello.c"), 0o644);
  chmodSync(join(work.path, "answer.h"), 0o644);
  preprocessed = new Uint8Array(execFileSync("gcc", ["-O2", "-E", "hello.c"], { cwd: work.path, maxBuffer: 64 << 20 }));
  execFileSync("gcc", ["-O2", "-c", "hello.c", "-o", "local.o"], { cwd: work.path });
  localText = textSection(readFileSync(join(work.path, "local.o")), "local-copy");
  expect(localText.length).toBeGreaterThan(0);
  distccd = await startDistccd({ jobs: 2 });
});

afterAll(async () => {
  await distccd?.stop();
  work?.remove();
});

function plainRequest(version: ProtocolVersion, source = preprocessed): CompileRequest {
  return { version, argv: [COMPILER, "-O2", "-c", "hello.c", "-o", "hello.o"], source };
}

async function compile(req: CompileRequest): Promise<CompileResponse> {
  return sendCompileRequest({ host: "127.0.0.1", port: distccd.port }, req, { ioTimeoutMs: 30_000 });
}

describe("real distccd", () => {
  for (const version of [0, 1, 2] as const) {
    it(`compiles a protocol ${version} request to the same .text as a local gcc -c`, async () => {
      const res = await compile(plainRequest(version));
      expect(res.version).toBe(version);
      expect(parseWaitStatus(res.status)).toEqual({ kind: "exited", code: 0 });
      expect(res.deps).toBeUndefined();
      expectRelocatableElf(res.object);
      expect(textSection(res.object, `remote-v${version}`).equals(localText)).toBe(true);
    });
  }

  it("compiles a big preprocessed file (hundreds of KB) over protocol 2, with backpressure on the way out", async () => {
    const headers = [
      "stdio.h",
      "stdlib.h",
      "string.h",
      "pthread.h",
      "unistd.h",
      "sys/socket.h",
      "netdb.h",
      "math.h",
      "signal.h",
      "regex.h",
      "wchar.h",
      "fcntl.h",
      "sys/stat.h",
      "time.h",
      "locale.h",
      "dirent.h",
    ];
    const body = Array.from({ length: 300 }, (_, k) => `int g${k}(int x) { return x * ${k} + ${k % 7}; }`).join("\n");
    writeFileSync(join(work.path, "big.c"), `${headers.map((h) => `#include <${h}>`).join("\n")}\n${body}\n`);
    const source = new Uint8Array(
      execFileSync("gcc", ["-O1", "-E", "-D_GNU_SOURCE", "big.c"], { cwd: work.path, maxBuffer: 64 << 20 }),
    );
    expect(source.length).toBeGreaterThan(200_000);
    execFileSync("gcc", ["-O1", "-D_GNU_SOURCE", "-c", "big.c", "-o", "big-local.o"], { cwd: work.path });
    const res = await compile({
      version: 2,
      argv: [COMPILER, "-O1", "-D_GNU_SOURCE", "-c", "big.c", "-o", "big.o"],
      source,
    });
    expect(res.status, new TextDecoder().decode(res.stderr)).toBe(0);
    expectRelocatableElf(res.object);
    expect(
      textSection(res.object, "big-remote").equals(
        textSection(readFileSync(join(work.path, "big-local.o")), "big-local-copy"),
      ),
    ).toBe(true);
  });

  it("compiles a protocol 3 (pump) request: files, links to the system headers, and gets DOTD back", async () => {
    const cwd = work.path;
    // As the include server does: system include directories become LINKs climbing out of the server's temp root.
    const up = "../".repeat(40);
    const gccInclude = execFileSync("gcc", ["-print-file-name=include"]).toString().trim();
    const systemDirs = [gccInclude, "/usr/local/include", "/usr/include"];
    const req: CompileRequest = {
      version: 3,
      cwd,
      argv: [COMPILER, "-O2", "-c", "hello.c", "-o", "hello.o"],
      files: [
        { kind: "file", name: `${cwd}/hello.c`, content: new TextEncoder().encode(SOURCE) },
        { kind: "file", name: `${cwd}/answer.h`, content: new TextEncoder().encode(HEADER) },
        ...systemDirs.map((dir) => ({ kind: "link" as const, name: dir, target: `${up}${dir.slice(1)}` })),
      ],
    };
    const res = await compile(req);
    expect(res.status, new TextDecoder().decode(res.stderr)).toBe(0);
    expectRelocatableElf(res.object);
    expect(textSection(res.object, "remote-v3").equals(localText)).toBe(true);
    expect(new TextDecoder().decode(res.deps)).toMatch(/^hello\.o: hello\.c .*answer\.h/s);
  });

  it("returns the compiler's failure: status, stderr, no object", async () => {
    const broken = new TextEncoder().encode("int broken( { return 1; }\n");
    for (const version of [1, 2] as const) {
      const res = await compile(plainRequest(version, broken));
      expect(parseWaitStatus(res.status)).toEqual({ kind: "exited", code: 1 });
      expect(new TextDecoder().decode(res.stderr)).toMatch(/error/);
      expect(res.object.length).toBe(0);
    }
  });

  it("a refused request (version 4, compiler not whitelisted) is DISTCC_ERR_NO_ANSWER", async () => {
    const v4 = compile({ ...plainRequest(1), version: 4 as ProtocolVersion });
    await expect(v4).rejects.toMatchObject({ code: "DISTCC_ERR_BAD_VERSION" }); // refused before sending
    const refused = compile({ ...plainRequest(2), argv: ["tcc", "-c", "hello.c", "-o", "hello.o"] });
    await expect(refused).rejects.toBeInstanceOf(DistccConnectionError);
    await expect(refused).rejects.toMatchObject({ code: "DISTCC_ERR_NO_ANSWER" });
  });
});
