// LZ4 frames interoperate with the lz4 CLI; big bodies are passed by reference, not copied.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { DistccProtocolError, encodeRequest, encodeResponse, lz4Compress, lz4Decompress, RequestDecoder } from "../src/index.js";
import { loadLzoPairs } from "./vectors.js";

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe("LZ4 frames", () => {
  const dir = mkdtempSync(join(tmpdir(), "lz4-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const raw = loadLzoPairs().find((p) => p.name === "doti-hello-c.p2")!.raw;
  const big = new Uint8Array(5 << 20);
  for (let i = 0; i < big.length; i++) big[i] = raw[(i * 3) % raw.length]! ^ ((i >> 16) & 1);

  it("the lz4 CLI is installed", () => {
    expect(hasCommand("lz4")).toBe(true);
  });
  it("the lz4 CLI decodes our frames", () => {
    for (const [name, data] of [["small", raw], ["big", big]] as const) {
      writeFileSync(join(dir, `${name}.lz4`), lz4Compress(data));
      execFileSync("lz4", ["-d", "-f", "-q", join(dir, `${name}.lz4`), join(dir, `${name}.out`)]);
      expect(same(readFileSync(join(dir, `${name}.out`)), data)).toBe(true);
    }
  });
  it("we decode the CLI's frames: default, content size + checksums, dependent blocks, small blocks", () => {
    writeFileSync(join(dir, "in.bin"), big);
    for (const flags of [["-1"], ["-9", "--content-size", "-BX"], ["-1", "-BD", "-B4"], ["-1", "--no-frame-crc", "-B5"]]) {
      execFileSync("lz4", [...flags, "-f", "-q", join(dir, "in.bin"), join(dir, "cli.lz4")]);
      const frame = new Uint8Array(readFileSync(join(dir, "cli.lz4")));
      expect(same(lz4Decompress(frame), big), flags.join(" ")).toBe(true);
    }
  });
  it("is bounded and rejects corruption with DISTCC_ERR_LZ4", () => {
    const frame = lz4Compress(big);
    expect(() => lz4Decompress(frame, { maxOutput: 1 << 20 })).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LIMIT" }));
    expect(() => lz4Decompress(frame.subarray(0, frame.length - 5))).toThrow(DistccProtocolError);
    expect(() => lz4Decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LZ4" }));
    expect(() => lz4Decompress(new Uint8Array([...frame, 0]))).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LZ4" }));
  });
});

describe("no copies of big bodies", () => {
  const source = new Uint8Array(1 << 20).fill(120);
  it("a v1 request's source goes out as its own chunk, by reference", () => {
    const chunks = encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c"], source });
    expect(chunks.some((c) => c === source)).toBe(true);
  });
  it("a v1 response's object goes out by reference", () => {
    const chunks = encodeResponse({ version: 1, status: 0, stderr: new Uint8Array(0), stdout: new Uint8Array(0), object: source });
    expect(chunks.some((c) => c === source)).toBe(true);
  });
  it("a body inside one pushed chunk is returned as a view of it", () => {
    const wire = Buffer.concat(encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c"], source }));
    const events = new RequestDecoder().push(wire);
    const ev = events.find((e) => e.type === "source");
    expect(ev?.type === "source" && ev.data.buffer === wire.buffer).toBe(true);
  });
});
