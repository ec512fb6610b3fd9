// Bodies far bigger than a socket chunk: assembled once, whatever the chunking, and still bounded.
import { describe, expect, it } from "vitest";
import {
  concatChunks,
  DistccProtocolError,
  encodeRequest,
  encodeResponse,
  RequestDecoder,
  ResponseDecoder,
  type CompileRequest,
  type CompileResponse,
} from "../src/index.js";

function bigBody(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // Half text-like (compressible), half noise.
    b[i] = (i >> 12) & 1 ? s >>> 24 : 97 + ((i * 7) % 13);
  }
  return b;
}

function pushSized<E>(
  d: { push(c: Uint8Array): E[]; finish(): void },
  bytes: Uint8Array,
  size: (i: number) => number,
): E[] {
  const events: E[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = size(i);
    events.push(...d.push(bytes.subarray(at, at + n)));
    at += n;
  }
  d.finish();
  return events;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const chunkings: [string, (i: number) => number][] = [
  ["1000-byte chunks", () => 1000],
  ["64 KiB chunks", () => 65536],
  ["64 KiB + 1 chunks", () => 65537],
  ["uneven chunks", (i) => 1 + ((i * 7919) % 150_000)],
  ["one chunk", () => 1 << 30],
];

describe("large bodies", () => {
  const source = bigBody(1_500_000, 1);
  for (const version of [1, 2] as const) {
    for (const [name, size] of chunkings) {
      it(`request v${version}, ${name}`, () => {
        const req: CompileRequest = { version, argv: ["gcc", "-c", "x.c"], source };
        const bytes = concatChunks(encodeRequest(req));
        const events = pushSized(new RequestDecoder(), bytes, size);
        const end = events.at(-1)!;
        expect(end.type).toBe("end");
        if (end.type === "end") expect(same(end.request.source!, source)).toBe(true);
      });
    }
  }
  for (const version of [1, 3] as const) {
    for (const [name, size] of chunkings) {
      it(`response v${version}, ${name}`, () => {
        const res: CompileResponse = {
          version,
          status: 0,
          stderr: bigBody(70_000, 2),
          stdout: new Uint8Array(0),
          object: source,
          deps: version === 3 ? bigBody(100_000, 3) : undefined,
        };
        const bytes = concatChunks(encodeResponse(res));
        const events = pushSized(new ResponseDecoder(version), bytes, size);
        const end = events.at(-1)!;
        expect(end.type).toBe("end");
        if (end.type !== "end") return;
        expect(same(end.response.object, source)).toBe(true);
        expect(same(end.response.stderr, res.stderr)).toBe(true);
        if (version === 3) expect(same(end.response.deps!, res.deps!)).toBe(true);
      });
    }
  }
  it("a big body cut short is DISTCC_ERR_TRUNCATED and says how much arrived", () => {
    const bytes = concatChunks(encodeRequest({ version: 1, argv: ["gcc"], source }));
    const d = new RequestDecoder();
    d.push(bytes.subarray(0, 100_000));
    d.push(bytes.subarray(100_000, 300_000));
    expect(() => d.finish()).toThrow(DistccProtocolError);
    expect(() => d.finish()).toThrow(/DOTI.*\(\d+ of 1500000 bytes\)/);
  });
  it("an oversize length is refused on the header, before any body byte", () => {
    const bytes = concatChunks(encodeRequest({ version: 1, argv: ["gcc"], source }));
    const d = new RequestDecoder({ maxPayload: 1_000_000 });
    const headerEnd = bytes.length - source.length;
    let code = "";
    try {
      d.push(bytes.subarray(0, headerEnd));
    } catch (err) {
      code = (err as DistccProtocolError).code;
    }
    expect(code).toBe("DISTCC_ERR_LIMIT");
  });
  it("a decompression bomb stops at maxDecompressed", () => {
    const zeros = new Uint8Array(8 << 20);
    const bytes = concatChunks(encodeRequest({ version: 2, argv: ["gcc"], source: zeros }));
    expect(bytes.length).toBeLessThan(100_000);
    const d = new RequestDecoder({ maxDecompressed: 1 << 20 });
    expect(() => d.push(bytes)).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LIMIT" }));
    const total = new RequestDecoder({ maxTotal: 4 << 20 });
    expect(() => total.push(bytes)).toThrow(expect.objectContaining({ code: "DISTCC_ERR_LIMIT" }));
  });
});
