// Fuzz: mutated vectors and random bytes only ever produce DistccProtocolError, within the limits.
// The time budget is DISTCC_FUZZ_MS (default 20 s, shared by the tests below); failures print the seed.
// The seed is fixed (DISTCC_FUZZ_SEED picks another) so that a failure on CI can be run again here.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  DistccProtocolError,
  lz4Compress,
  lz4Decompress,
  lzo1xDecompress,
  RequestDecoder,
  ResponseDecoder,
  TOKEN_NAMES,
  type DecoderLimits,
  type ProtocolVersion,
} from "../src/index.js";
import { versionOf } from "./decode-all.js";
import { captureNames, loadCapture, loadLzoPairs } from "./vectors.js";

const BUDGET_MS = Number(process.env.DISTCC_FUZZ_MS ?? 20_000);
const SEED = Number(process.env.DISTCC_FUZZ_SEED ?? 20_261_208);

const LIMITS: DecoderLimits = {
  maxArgs: 64,
  maxArgLength: 4096,
  maxFiles: 64,
  maxNameLength: 4096,
  maxPayload: 1 << 20,
  maxDecompressed: 1 << 20,
  maxTotal: 2 << 20,
};
const CODES = new Set([
  "DISTCC_ERR_BAD_TOKEN",
  "DISTCC_ERR_BAD_HEX",
  "DISTCC_ERR_BAD_VERSION",
  "DISTCC_ERR_LIMIT",
  "DISTCC_ERR_TRUNCATED",
  "DISTCC_ERR_LZO",
  "DISTCC_ERR_LZ4",
  "DISTCC_ERR_TRAILING_DATA",
]);

/** xorshift32: a small seeded PRNG so every failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const HEX = "0123456789abcdefABCDEF";
const names = TOKEN_NAMES.map((t) => new TextEncoder().encode(t));

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n);
  let b = new Uint8Array(input);
  const rounds = 1 + int(4);
  for (let r = 0; r < rounds; r++) {
    if (b.length === 0) return b;
    const at = int(b.length);
    switch (int(8)) {
      case 0:
        b[at] = b[at]! ^ (1 << int(8));
        break; // bit flip
      case 1:
        b[at] = int(256);
        break; // byte
      case 2:
        b[at] = HEX.charCodeAt(int(HEX.length));
        break; // another hex digit
      case 3:
        b = b.subarray(0, at);
        break; // truncation
      case 4: {
        // a token's value becomes random hex (huge lengths, odd counts)
        const headerAt = at - (at % 12);
        for (let i = 4; i < 12 && headerAt + i < b.length; i++) b[headerAt + i] = HEX.charCodeAt(int(16));
        break;
      }
      case 5: {
        // a token name becomes another token name
        const name = names[int(names.length)]!;
        b.set(name.subarray(0, Math.min(4, b.length - at)), at);
        break;
      }
      case 6: {
        // insert random bytes
        const extra = Uint8Array.from({ length: 1 + int(16) }, () => int(256));
        const c = new Uint8Array(b.length + extra.length);
        c.set(b.subarray(0, at));
        c.set(extra, at);
        c.set(b.subarray(at), at + extra.length);
        b = c;
        break;
      }
      default: {
        // delete a slice
        const end = Math.min(b.length, at + 1 + int(32));
        const c = new Uint8Array(b.length - (end - at));
        c.set(b.subarray(0, at));
        c.set(b.subarray(end), at);
        b = c;
      }
    }
  }
  return b;
}

function randomBytes(rnd: () => number): Uint8Array {
  const n = Math.floor(rnd() * 300);
  const b = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  if (rnd() < 0.5 && n >= 12) b.set(new TextEncoder().encode(`DIST0000000${Math.floor(rnd() * 4)}`));
  return b;
}

/** Decodes with random chunking; returns the total bytes held by the events, or the error code. */
function decode(
  d: { push(c: Uint8Array): { type: string }[]; finish(): void },
  bytes: Uint8Array,
  rnd: () => number,
): string {
  try {
    let at = 0;
    let held = 0;
    while (at < bytes.length) {
      const n = rnd() < 0.3 ? 1 : 1 + Math.floor(rnd() * 4096);
      for (const e of d.push(bytes.subarray(at, at + n))) {
        for (const v of Object.values(e) as unknown[]) if (v instanceof Uint8Array) held += v.length;
      }
      at += n;
    }
    d.finish();
    if (held > LIMITS.maxTotal * 2) return `held ${held} bytes`;
    return "ok";
  } catch (err) {
    if (!(err instanceof DistccProtocolError)) return `threw ${String(err)}`;
    if (!CODES.has(err.code)) return `unexpected code ${err.code}`;
    return err.code;
  }
}

const requestVectors: Uint8Array[] = [];
const responseVectors: [Uint8Array, ProtocolVersion][] = [];
for (const name of captureNames()) {
  const cap = loadCapture(name);
  if (cap.c2s.length > 0) requestVectors.push(cap.c2s);
  if (cap.s2c.length > 0 && name !== "include-server-hello-c") responseVectors.push([cap.s2c, versionOf(cap.s2c)]);
}

function fuzzLoop(label: string, budget: number, one: (rnd: () => number) => string): void {
  const deadline = Date.now() + budget;
  const heapBefore = process.memoryUsage().heapUsed;
  const outcomes = new Map<string, number>();
  let cases = 0;
  for (let i = 0; Date.now() < deadline || i < 200; i++) {
    const rnd = prng(SEED * 7919 + i);
    const outcome = one(rnd);
    if (outcome.startsWith("threw") || outcome.startsWith("unexpected") || outcome.startsWith("held")) {
      expect.fail(`${label}: case ${i} with DISTCC_FUZZ_SEED=${SEED}: ${outcome}`);
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    cases++;
  }
  // Bounded memory: nothing accumulates across cases.
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 << 20);
  console.log(`${label}: ${cases} cases (seed ${SEED})`, Object.fromEntries(outcomes));
}

describe("fuzz", () => {
  it("requests: mutated captures and random bytes", () => {
    fuzzLoop("requests", BUDGET_MS * 0.35, (rnd) => {
      const bytes =
        rnd() < 0.85 ? mutate(requestVectors[Math.floor(rnd() * requestVectors.length)]!, rnd) : randomBytes(rnd);
      return decode(new RequestDecoder(LIMITS), bytes, rnd);
    });
  });

  it("responses: mutated captures and random bytes", () => {
    fuzzLoop("responses", BUDGET_MS * 0.3, (rnd) => {
      const [vector, version] = responseVectors[Math.floor(rnd() * responseVectors.length)]!;
      const bytes = rnd() < 0.85 ? mutate(vector, rnd) : randomBytes(rnd);
      return decode(new ResponseDecoder(version, LIMITS), bytes, rnd);
    });
  });

  it("LZ4: mutated frames", () => {
    const samples = loadLzoPairs().map((p) => lz4Compress(p.raw));
    fuzzLoop("lz4", BUDGET_MS * 0.1, (rnd) => {
      const bytes = mutate(samples[Math.floor(rnd() * samples.length)]!, rnd);
      try {
        lz4Decompress(bytes, { maxOutput: 1 << 20 });
        return "ok";
      } catch (err) {
        return err instanceof DistccProtocolError ? err.code : `threw ${String(err)}`;
      }
    });
  });
});

describe("fuzz: LZO1X agrees with liblzo2's safe decoder (python3-lzo) on mutated streams", () => {
  const dir = mkdtempSync(join(tmpdir(), "lzo-fuzz-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("same success/failure and same output", () => {
    const pairs = loadLzoPairs().filter((p) => p.lzo.length > 0);
    const cases: Uint8Array[] = [];
    const deadline = Date.now() + BUDGET_MS * 0.1;
    for (let i = 0; Date.now() < deadline || i < 300; i++) {
      const rnd = prng(SEED * 104729 + i);
      cases.push(mutate(pairs[Math.floor(rnd() * pairs.length)]!.lzo, rnd));
      if (cases.length >= 3000) break;
    }
    const MAX = 1 << 20;
    // One file: 4-byte length + stream, repeated. Python answers one line per case: "ok <hex sha1>" or "err".
    const total = cases.reduce((n, c) => n + 4 + c.length, 0);
    const blob = new Uint8Array(total);
    let o = 0;
    for (const c of cases) {
      new DataView(blob.buffer).setUint32(o, c.length);
      blob.set(c, o + 4);
      o += 4 + c.length;
    }
    writeFileSync(join(dir, "cases.bin"), blob);
    const script = `
import lzo, hashlib, struct, sys
d = open(sys.argv[1], 'rb').read(); o = 0
while o < len(d):
    n = struct.unpack('>I', d[o:o+4])[0]; s = d[o+4:o+4+n]; o += 4 + n
    try: print('ok', hashlib.sha1(lzo.decompress(s, False, ${MAX})).hexdigest())
    except Exception: print('err')
`;
    const theirs = execFileSync("/usr/bin/python3", ["-c", script, join(dir, "cases.bin")], { maxBuffer: 64 << 20 })
      .toString()
      .trim()
      .split("\n");
    let agreeOk = 0;
    cases.forEach((c, i) => {
      let ours: string;
      try {
        ours = `ok ${createHash("sha1")
          .update(lzo1xDecompress(c, { maxOutput: MAX }))
          .digest("hex")}`;
      } catch (err) {
        expect(err).toBeInstanceOf(DistccProtocolError);
        ours = "err";
      }
      if (ours !== theirs[i])
        expect.fail(
          `case ${i} (seed ${SEED}): ours ${ours}, liblzo2 ${theirs[i]}; stream ${Buffer.from(c).toString("hex").slice(0, 200)}`,
        );
      if (ours !== "err") agreeOk++;
    });
    console.log(
      `lzo vs liblzo2: ${cases.length} mutated streams, ${agreeOk} decoded by both, the rest refused by both`,
    );
  });
});
