// LZ4 frames interoperate with the lz4 CLI (through fixtures, so the CLI is not needed to run
// this); big bodies are passed by reference, not copied.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DistccProtocolError,
  encodeRequest,
  encodeResponse,
  lz4Compress,
  lz4Decompress,
  RequestDecoder,
} from "../src/index.js";
import { loadLzoPairs } from "./vectors.js";

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const fixtures = join(import.meta.dirname, "fixtures", "lz4");

/** The input the fixtures were made from (see fixtures/lz4/README.md). */
function fixtureInput(): Uint8Array {
  const raw = loadLzoPairs().find((p) => p.name === "doti-hello-c.p2")!.raw;
  const parts: Uint8Array[] = [];
  for (let k = 0; k < 16; k++) parts.push(new TextEncoder().encode(`/* copy ${k} */\n`), raw);
  return new Uint8Array(Buffer.concat(parts));
}

describe("LZ4 frames", () => {
  const input = fixtureInput();
  const frame = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixtures, name)));

  it("our frames are byte-identical to the one the lz4 CLI was checked to decode", () => {
    expect(input.length).toBe(329446);
    expect(same(lz4Compress(input), frame("lz4js.lz4"))).toBe(true);
  });
  it("we decode the CLI's frames: default, content size + checksums, dependent blocks, no frame checksum", () => {
    for (const name of ["cli-1.lz4", "cli-9-content-size-BX.lz4", "cli-1-BD-B4.lz4", "cli-1-nocrc-B5.lz4"]) {
      expect(same(lz4Decompress(frame(name)), input), name).toBe(true);
    }
  });
  it("round-trips big inputs", () => {
    const big = new Uint8Array(3 << 20);
    for (let i = 0; i < big.length; i++) big[i] = input[(i * 3) % input.length]! ^ ((i >> 16) & 1);
    expect(same(lz4Decompress(lz4Compress(big)), big)).toBe(true);
  });
  it("is bounded and rejects corruption with DISTCC_ERR_LZ4", () => {
    const f = frame("lz4js.lz4");
    expect(() => lz4Decompress(f, { maxOutput: 100_000 })).toThrow(
      expect.objectContaining({ code: "DISTCC_ERR_LIMIT" }),
    );
    expect(() => lz4Decompress(f.subarray(0, f.length - 5))).toThrow(DistccProtocolError);
    expect(() => lz4Decompress(new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toThrow(
      expect.objectContaining({ code: "DISTCC_ERR_LZ4" }),
    );
    expect(() => lz4Decompress(new Uint8Array([...f, 0]))).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LZ4" }));
  });
});

describe("no copies of big bodies", () => {
  const source = new Uint8Array(1 << 20).fill(120);
  it("a v1 request's source goes out as its own chunk, by reference", () => {
    const chunks = encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c"], source });
    expect(chunks.some((c) => c === source)).toBe(true);
  });
  it("a v1 response's object goes out by reference", () => {
    const chunks = encodeResponse({
      version: 1,
      status: 0,
      stderr: new Uint8Array(0),
      stdout: new Uint8Array(0),
      object: source,
    });
    expect(chunks.some((c) => c === source)).toBe(true);
  });
  it("a body inside one pushed chunk is returned as a view of it", () => {
    const wire = Buffer.concat(encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c"], source }));
    const events = new RequestDecoder().push(wire);
    const ev = events.find((e) => e.type === "source");
    expect(ev?.type === "source" && ev.data.buffer === wire.buffer).toBe(true);
  });
});
