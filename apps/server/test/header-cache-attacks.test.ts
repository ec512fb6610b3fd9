// Attacks through the header cache (docs/security.md, "Header cache"), sent to our server over a
// real socket and compiled (or not) by the real gcc and clang.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sendCompileJob, type CompileRequest, type RequestExtension } from "@x/distcc-protocol";
import { makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeaderStore } from "../src/header-store.js";
import { startTestServer, type TestServer } from "./helpers.js";

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const D = "/home/u/src";
let srv: TestServer;
let temp: { path: string; remove(): void };

beforeAll(async () => {
  srv = await startTestServer({ headerStore: HeaderStore.open({ maxBytes: 64 << 20 }) });
  temp = makeTempDir("header-cache-attacks-");
});
afterAll(async () => {
  await srv.stop();
  temp.remove();
});

const job = async (req: CompileRequest, headers: NonNullable<RequestExtension["headers"]>) => {
  const ex = await sendCompileJob({ host: "127.0.0.1", port: srv.port }, req, {
    extension: { v: 1, compression: "lzo", headers },
    readTrailer: true,
  });
  return { ...ex.response, stderrText: Buffer.from(ex.response.stderr).toString() };
};

/** The first job of an attack: `blob` and a `list` text naming headers by content, under harmless names. */
const plantList = (cc: string, blob: Buffer, list: Buffer) =>
  job(
    {
      version: 3,
      cwd: D,
      argv: [cc, "-c", "x.c", "-o", "x.o"],
      files: [
        { kind: "file", name: `${D}/x.c`, content: Buffer.from("int y;\n") },
        { kind: "file", name: `${D}/blob.bin`, content: blob },
        { kind: "file", name: `${D}/list.txt`, content: list },
      ],
    },
    { exclude: [0] },
  );

describe("a precompiled header smuggled in through a header-cache list", () => {
  it.each([
    ["gcc", "gch", []],
    ["clang", "pch", ["-include", "x.h"]],
  ] as const)("%s: the .%s a list names is refused, never loaded", async (cc, ext, extra) => {
    // The compiler's own precompiled header of a header that defines what the source calls.
    const header = join(temp.path, `${cc}.h`);
    writeFileSync(header, "#define VALUE 1\nstatic int pwned_from_gch(void) { return 7; }\n");
    const pch = join(temp.path, `${cc}.h.${ext}`);
    execFileSync(cc, ["-x", "c-header", header, "-o", pch]);
    const precompiled = readFileSync(pch);
    // Job 1: the precompiled header's bytes and a list text naming them x.h.<ext>, under harmless
    // names: stored by content like any header.
    const list = Buffer.from(`${sha(precompiled)} ${D}/x.h.${ext}\n`);
    const plant = await plantList(cc, precompiled, list);
    expect(plant.status).toBe(0);
    // Job 2: the list as the job's set, beside a plain x.h the source includes.
    const use = await job(
      {
        version: 3,
        cwd: D,
        argv: [cc, "-Winvalid-pch", ...extra, "-c", "x.c", "-o", "x.o"],
        files: [
          {
            kind: "file",
            name: `${D}/x.c`,
            content: Buffer.from('#include "x.h"\nint main(void) { return VALUE + pwned_from_gch(); }\n'),
          },
          { kind: "file", name: `${D}/x.h`, content: Buffer.from("#define VALUE 1\n") },
        ],
      },
      { set: sha(list), exclude: [0] },
    );
    expect(use.stderrText).toMatch(/precompiled headers are not accepted/);
    expect(use.status).toBe(101 << 8);
    expect(use.object.length).toBe(0);
  });
});

describe("a header-cache list naming more files than a request may carry", () => {
  it("40,000 names of one stored 1-byte file: refused as a bad request before a slot or a tree", async () => {
    const blob = Buffer.from("x");
    let text = "";
    for (let i = 0; i < 40_000; i++) text += `${sha(blob)} ${D}/d${i % 600}/h${i}.h\n`;
    const list = Buffer.from(text);
    const plant = await plantList("gcc", blob, list);
    expect(plant.status).toBe(0);
    const use = await job(
      {
        version: 3,
        cwd: D,
        argv: ["gcc", "-c", "x.c", "-o", "x.o"],
        files: [{ kind: "file", name: `${D}/x.c`, content: Buffer.from("int z;\n") }],
      },
      { set: sha(list), exclude: [0] },
    );
    expect(use.stderrText).toMatch(/names more than 32767 files \(with the request's own, at most 32768\)/);
    expect(use.status).toBe(101 << 8);
    expect(use.object.length).toBe(0);
  });
});
