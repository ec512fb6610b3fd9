// fast-check generators of valid messages and of chunkings.
import fc from "fast-check";
import type { CompileRequest, CompileResponse, Compression, PumpEntry } from "../src/index.js";

/** Bytes that compress well (C-like text) or not at all (random), or nothing. */
const payload = (maxLength = 4000): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength }),
    fc
      .tuple(
        fc.array(fc.constantFrom("int ", "x", "(", ")", ";\n", "#include <stdio.h>\n", "return 0;", "    ", "\0"), {
          maxLength: maxLength / 8,
        }),
      )
      .map(([parts]) => new TextEncoder().encode(parts.join(""))),
    fc.constant(new Uint8Array(0)),
  );

/** Any Unicode text ("binary" code points are well-formed: no lone surrogates), as argv and paths are sent. */
const wireString = fc.string({ unit: "binary", maxLength: 80 });

const pumpEntry: fc.Arbitrary<PumpEntry> = fc.oneof(
  fc.record({ kind: fc.constant("file" as const), name: wireString, content: payload(2000) }),
  fc.record({ kind: fc.constant("link" as const), name: wireString, target: wireString }),
);

export const request: fc.Arbitrary<CompileRequest> = fc.oneof(
  fc.record({
    version: fc.constantFrom(0 as const, 1 as const, 2 as const),
    argv: fc.array(wireString, { maxLength: 20 }),
    source: payload(),
  }),
  fc.record({
    version: fc.constant(3 as const),
    cwd: wireString,
    argv: fc.array(wireString, { maxLength: 20 }),
    files: fc.array(pumpEntry, { maxLength: 8 }),
  }),
);

const status = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 255 }).map((c) => c << 8),
  fc.integer({ min: 1, max: 126 }).map((s) => s),
  fc.integer({ min: 1, max: 126 }).map((s) => s | 0x80),
);

export const response: fc.Arbitrary<CompileResponse> = fc
  .record({
    version: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
    status,
    stderr: payload(1000),
    stdout: payload(500),
    object: payload(),
    deps: payload(500),
  })
  .map((r) => {
    // The object model of a decoded response: no object after a failure, deps only in v3 on success.
    const out: CompileResponse = {
      version: r.version,
      status: r.status,
      stderr: r.stderr,
      stdout: r.stdout,
      object: r.status === 0 ? r.object : new Uint8Array(0),
    };
    if (r.version === 3 && r.status === 0) out.deps = r.deps;
    return out;
  });

export const compression: fc.Arbitrary<Compression> = fc.constantFrom("lzo" as const, "lz4" as const);

/** Sorted cut points inside [0, length]. */
export const cutsFor = (length: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 }).map((a) => a.sort((x, y) => x - y)),
    fc
      .integer({ min: 1, max: 64 })
      .map((step) => Array.from({ length: Math.floor(length / step) }, (_, i) => (i + 1) * step)),
  );
