/**
 * Bounds every decoder enforces before it allocates anything. distcc 3.4 itself has none
 * (spec 2), so these are ours; the defaults are generous for real builds (kernel argv of a few
 * hundred entries, pump requests of thousands of headers, .i files of tens of MB).
 */
export interface DecoderLimits {
  /** ARGC at most (default 16384). */
  maxArgs: number;
  /** One ARGV at most, in bytes (default 1 MiB). */
  maxArgLength: number;
  /** NFIL at most (default 100000). */
  maxFiles: number;
  /** CDIR, NAME and LINK at most, in bytes (default 64 KiB). */
  maxNameLength: number;
  /** One body as it is on the wire (compressed length for v2/v3) at most (default 256 MiB). */
  maxPayload: number;
  /** One body after decompression at most (default 512 MiB). */
  maxDecompressed: number;
  /** Everything one message holds after decoding (all strings and bodies) at most (default 1 GiB). */
  maxTotal: number;
}

export const DEFAULT_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxArgs: 16384,
  maxArgLength: 1 << 20,
  maxFiles: 100_000,
  maxNameLength: 64 << 10,
  maxPayload: 256 << 20,
  maxDecompressed: 512 << 20,
  maxTotal: 1 << 30,
});

export function resolveLimits(limits?: Partial<DecoderLimits>): DecoderLimits {
  const out = { ...DEFAULT_LIMITS };
  if (limits) {
    for (const key of Object.keys(DEFAULT_LIMITS) as (keyof DecoderLimits)[]) {
      const v = limits[key];
      if (v !== undefined) {
        if (!(v >= 0)) throw new RangeError(`limit ${key} must be a non-negative number, got ${String(v)}`);
        out[key] = v;
      }
    }
  }
  return out;
}
