// Chunk boundaries must never change a decode: every vector, split at every offset, and one byte at a time.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RequestDecoder, ResponseDecoder, type ProtocolVersion } from "../src/index.js";
import { versionOf } from "./decode-all.js";
import { captureNames, loadCapture } from "./vectors.js";

type Decoder = { push(c: Uint8Array): unknown[]; finish(): void };

/** A comparable rendering of events: byte arrays become lengths + Buffers compared natively. */
function flatten(events: unknown[]): { shape: string; blobs: Buffer[] } {
  const blobs: Buffer[] = [];
  const shape = JSON.stringify(events, (_k, v: unknown) => {
    if (v instanceof Uint8Array) {
      blobs.push(Buffer.from(v.buffer, v.byteOffset, v.length));
      return `<${v.length} bytes>`;
    }
    return v;
  });
  return { shape, blobs };
}

function same(a: { shape: string; blobs: Buffer[] }, b: { shape: string; blobs: Buffer[] }): boolean {
  return a.shape === b.shape && a.blobs.length === b.blobs.length && a.blobs.every((x, i) => x.equals(b.blobs[i]!));
}

function decodeWithCuts(make: () => Decoder, bytes: Uint8Array, cuts: number[]): unknown[] {
  const d = make();
  const events: unknown[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...d.push(bytes.subarray(at, cut)));
    at = cut;
  }
  d.finish();
  return events;
}

/**
 * Offsets to split at: all of them, except that a big body already split exhaustively in an
 * earlier vector (same last 4 KiB: the hand-made captures reuse p1-hello-c's 20 KB source, and
 * several p2 captures carry the same compressed hello.c) is stepped through with
 * a stride; its headers, its first and last bytes are still split at every offset.
 */
const seenBodies = new Set<string>();
function splitOffsets(bytes: Uint8Array): number[] {
  const n = bytes.length;
  const all = Array.from({ length: n + 1 }, (_, k) => k);
  if (n < 4096) return all;
  const tailKey = createHash("sha1")
    .update(bytes.subarray(n - 4096))
    .digest("hex");
  if (!seenBodies.has(tailKey)) {
    seenBodies.add(tailKey);
    return all;
  }
  return all.filter((k) => k < 512 || k > n - 256 || k % 61 === 0);
}

const invalid = new Set(["hc-bad-magic", "hc-version-4", "p2-cpp-fails", "include-server-hello-c"]);

describe("split at every offset", () => {
  for (const name of captureNames()) {
    const cap = loadCapture(name);
    const streams: [string, Uint8Array, () => Decoder][] = [];
    if (!invalid.has(name)) streams.push(["request", cap.c2s, () => new RequestDecoder()]);
    if (cap.s2c.length > 0 && name !== "include-server-hello-c") {
      const v = versionOf(cap.s2c) as ProtocolVersion;
      streams.push(["response", cap.s2c, () => new ResponseDecoder(v)]);
    }
    for (const [what, bytes, make] of streams) {
      it(`${name} ${what} (${bytes.length} bytes)`, () => {
        const whole = flatten(decodeWithCuts(make, bytes, []));
        for (const k of splitOffsets(bytes)) {
          const split = flatten(decodeWithCuts(make, bytes, [k]));
          if (!same(split, whole)) expect.fail(`split at ${k} decodes differently`);
        }
        // Three-way splits around every header position of the first 200 bytes.
        for (let a = 1; a < Math.min(200, bytes.length); a += 7) {
          for (let b = a + 1; b < Math.min(a + 30, bytes.length); b += 5) {
            if (!same(flatten(decodeWithCuts(make, bytes, [a, b])), whole))
              expect.fail(`split at ${a},${b} decodes differently`);
          }
        }
        const bytewise = Array.from({ length: bytes.length }, (_, i) => i);
        expect(same(flatten(decodeWithCuts(make, bytes, bytewise)), whole)).toBe(true);
      });
    }
  }
});
