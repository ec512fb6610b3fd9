import { DistccProtocolError } from "../errors.js";

export interface LzoDecompressOptions {
  /** Hard cap on the decompressed size; going past it is DISTCC_ERR_LIMIT (a bomb), never an OOM. */
  maxOutput?: number;
  /** Expected decompressed size, to allocate once. The stream does not carry it. */
  sizeHint?: number;
}

/** 1 GiB: the default cap when the caller gives none. */
export const DEFAULT_LZO_MAX_OUTPUT = 1 << 30;

function corrupt(what: string): DistccProtocolError {
  return new DistccProtocolError("DISTCC_ERR_LZO", `corrupt LZO1X stream: ${what}`);
}

/**
 * Safe LZO1X decompression of a raw stream (spec 6.1): every read is checked against the input,
 * every match distance against the output so far, the output never grows past `maxOutput`, and
 * the stream must end with the end marker exactly at the last input byte. The output buffer
 * starts at the size hint (or 4x the input) and doubles, capped at maxOutput.
 */
export function lzo1xDecompress(data: Uint8Array, opts: LzoDecompressOptions = {}): Uint8Array {
  const maxOutput = opts.maxOutput ?? DEFAULT_LZO_MAX_OUTPUT;
  const src = data;
  const inLen = src.length;
  let cap = Math.min(maxOutput, Math.max(opts.sizeHint ?? inLen * 4, 64));
  let out = new Uint8Array(cap);
  let op = 0;
  let ip = 0;

  const need = (n: number): void => {
    if (ip + n > inLen) throw corrupt("input ends inside an instruction");
  };
  const grow = (n: number): void => {
    // Ensures room for n more output bytes.
    const want = op + n;
    if (want <= cap) return;
    if (want > maxOutput) {
      throw new DistccProtocolError(
        "DISTCC_ERR_LIMIT",
        `LZO1X output would exceed the limit of ${maxOutput} bytes`,
      );
    }
    let next = cap * 2;
    while (next < want) next *= 2;
    cap = Math.min(next, maxOutput);
    const bigger = new Uint8Array(cap);
    bigger.set(out.subarray(0, op));
    out = bigger;
  };
  const copyLiterals = (n: number): void => {
    need(n);
    grow(n);
    if (n > 16) {
      out.set(src.subarray(ip, ip + n), op);
      op += n;
      ip += n;
    } else {
      for (let i = 0; i < n; i++) out[op++] = src[ip++]!;
    }
  };
  const copyMatch = (dist: number, len: number): void => {
    if (dist > op) throw corrupt("match distance points before the start of the output");
    grow(len);
    let from = op - dist;
    if (dist >= len && len > 16) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copies repeat the last `dist` bytes, so they go byte by byte.
      const end = op + len;
      while (op < end) out[op++] = out[from++]!;
    }
  };
  // Length of a zero-extended run: 255 per zero byte, then the first non-zero byte.
  const extendedLength = (base: number): number => {
    let len = base;
    for (;;) {
      need(1);
      const b = src[ip++]!;
      if (b !== 0) return len + b;
      len += 255;
      if (len > maxOutput) {
        throw new DistccProtocolError("DISTCC_ERR_LIMIT", `LZO1X run length exceeds the limit of ${maxOutput} bytes`);
      }
    }
  };

  // state: 0 = normal (a literal run may come), 1..3 = after 1..3 trailing literals,
  // 4 = after a literal run of 4+ bytes.
  let state = 0;
  need(1);
  if (src[0]! > 17) {
    const n = src[ip++]! - 17;
    copyLiterals(n);
    state = n < 4 ? n : 4;
  }
  for (;;) {
    need(1);
    const t = src[ip++]!;
    let dist: number;
    let len: number;
    let s: number;
    if (t >= 64) {
      need(1);
      dist = 1 + ((t >> 2) & 7) + (src[ip++]! << 3);
      len = (t >> 5) + 1;
      s = t & 3;
    } else if (t >= 32) {
      len = (t & 31) + 2;
      if (len === 2) len = extendedLength(33);
      need(2);
      const lo = src[ip++]!;
      dist = 1 + (lo >> 2) + (src[ip++]! << 6);
      s = lo & 3;
    } else if (t >= 16) {
      len = (t & 7) + 2;
      if (len === 2) len = extendedLength(9);
      need(2);
      const lo = src[ip++]!;
      const d = ((t & 8) << 11) + (lo >> 2) + (src[ip++]! << 6);
      if (d === 0) {
        if (ip !== inLen) throw corrupt(`${inLen - ip} bytes after the end marker`);
        return out.subarray(0, op);
      }
      dist = d + 16384;
      s = lo & 3;
    } else if (state === 0) {
      const n = t === 0 ? extendedLength(18) : t + 3;
      copyLiterals(n);
      state = 4;
      continue;
    } else {
      need(1);
      if (state === 4) {
        dist = 2049 + (t >> 2) + (src[ip++]! << 2);
        len = 3;
      } else {
        dist = 1 + (t >> 2) + (src[ip++]! << 2);
        len = 2;
      }
      s = t & 3;
    }
    copyMatch(dist, len);
    if (s > 0) copyLiterals(s);
    state = s;
  }
}
