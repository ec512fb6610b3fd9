// Random messages of every version round-trip through encode -> random chunking -> decode.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  concatChunks,
  encodeRequest,
  encodeResponse,
  RequestDecoder,
  ResponseDecoder,
  type CompileRequest,
  type CompileResponse,
  type Compression,
} from "../src/index.js";
import { compression, cutsFor, request, response } from "./arbitraries.js";

function pushAll<E>(d: { push(c: Uint8Array): E[]; finish(): void }, bytes: Uint8Array, cuts: number[]): E[] {
  const events: E[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...d.push(bytes.subarray(at, Math.max(at, cut))));
    at = Math.max(at, cut);
  }
  d.finish();
  return events;
}

/** Decoded requests carry each FILE's wire bytes too; the comparison ignores them. */
function withoutWireBytes(r: CompileRequest): CompileRequest {
  if (!r.files) return r;
  return {
    ...r,
    files: r.files.map((f) => (f.kind === "file" ? { kind: "file", name: f.name, content: f.content } : f)),
  };
}

const norm = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v)));

describe("property: round trips", () => {
  it("requests v0-v3, lzo and lz4, any chunking", () => {
    fc.assert(
      fc.property(request, compression, fc.integer({ min: 0, max: 2 ** 31 - 1 }), (req, comp: Compression, seed) => {
        const bytes = concatChunks(encodeRequest(req, { compression: comp }));
        const cuts = fc.sample(cutsFor(bytes.length), { seed, numRuns: 1 })[0]!;
        const events = pushAll(new RequestDecoder(undefined, { compression: comp }), bytes, cuts);
        const end = events.at(-1)!;
        expect(end.type).toBe("end");
        if (end.type !== "end") return;
        expect(norm(withoutWireBytes(end.request))).toEqual(norm(req));
        // Events come in wire order and the argv event precedes any body.
        const types = events.map((e) => e.type);
        expect(types[0]).toBe("version");
        expect(types.indexOf("argv")).toBeLessThan(
          types.findIndex((t) => t === "source" || t === "file" || t === "link" || t === "end"),
        );
        // Re-encoding the decoded request gives the same bytes.
        expect(
          Buffer.from(concatChunks(encodeRequest(end.request, { compression: comp }))).equals(Buffer.from(bytes)),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("responses v0-v3, lzo and lz4, any chunking", () => {
    fc.assert(
      fc.property(
        response,
        compression,
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (res: CompileResponse, comp: Compression, seed) => {
          const bytes = concatChunks(encodeResponse(res, { compression: comp }));
          const cuts = fc.sample(cutsFor(bytes.length), { seed, numRuns: 1 })[0]!;
          const events = pushAll(new ResponseDecoder(res.version, undefined, { compression: comp }), bytes, cuts);
          const end = events.at(-1)!;
          expect(end.type).toBe("end");
          if (end.type !== "end") return;
          expect(norm(end.response)).toEqual(norm(res));
          expect(
            Buffer.from(concatChunks(encodeResponse(end.response, { compression: comp }))).equals(Buffer.from(bytes)),
          ).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("LZO1X and LZ4 round-trip any bytes", async () => {
    const { lzo1xCompress, lzo1xDecompress, lz4Compress, lz4Decompress } = await import("../src/index.js");
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 70000 }), fc.uint8Array({ maxLength: 300, min: 0, max: 3 })),
        (data) => {
          expect(Buffer.from(lzo1xDecompress(lzo1xCompress(data))).equals(Buffer.from(data))).toBe(true);
          expect(Buffer.from(lz4Decompress(lz4Compress(data))).equals(Buffer.from(data))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
