import { DistccProtocolError } from "../errors.js";
import { growOutput } from "../grow-output.js";

export interface LzoDecompressOptions {
  /** Hard cap on the decompressed size; going past it is DISTCC_ERR_LIMIT (a bomb), never an OOM. Default 1 GiB. */
  maxOutput?: number;
  /** Expected decompressed size, to allocate once. The stream does not carry it. */
  sizeHint?: number;
}

/** 1 GiB: the default cap when the caller gives none. */
const DEFAULT_LZO_MAX_OUTPUT = 1 << 30;

function corrupt(what: string): DistccProtocolError {
  return new DistccProtocolError("DISTCC_ERR_LZO", `corrupt LZO1X stream: ${what}`);
}

function truncated(): DistccProtocolError {
  return corrupt("input ends inside an instruction");
}

/**
 * An output buffer reused from call to call, of which the result is copied out: distcc's 8x-the-input
 * first guess allocated (and left to the garbage collector) 8x every compressed object a client
 * received. Invisible to callers: each call returns its own copy, and nothing here is asynchronous.
 */
const scratch: { out: Uint8Array } = { out: new Uint8Array(0) };
/** Buffers larger than this are not kept. */
const SCRATCH_MAX = 8 << 20;

const grow = (out: Uint8Array, used: number, want: number, maxOutput: number): Uint8Array =>
  growOutput(out, used, want, maxOutput, "LZO1X");

/**
 * Safe LZO1X decompression of a raw stream (spec 6.1): every read is checked against the input,
 * every match distance against the output so far, the output never grows past `maxOutput`, and
 * the stream must end with the end marker exactly at the last input byte (as liblzo2's
 * lzo1x_decompress_safe requires). Without a size hint the output starts at 8x the input (as
 * distcc does) and doubles. Returns a buffer of exactly the output.
 */
export function lzo1xDecompress(data: Uint8Array, opts: LzoDecompressOptions = {}): Uint8Array {
  const maxOutput = opts.maxOutput ?? DEFAULT_LZO_MAX_OUTPUT;
  const src = data;
  const inLen = src.length;
  const want = Math.min(maxOutput, Math.max(opts.sizeHint ?? inLen * 8, 64));
  let out: Uint8Array = scratch.out.length >= want ? scratch.out : new Uint8Array(want);
  // A reused buffer may be larger than this call's limit: the limit still holds.
  let cap = Math.min(out.length, maxOutput);
  let op = 0;
  let ip = 0;
  // 0 = normal (a literal run may come), 1..3 = after that many trailing literals, 4 = after a run of 4+.
  let state = 0;

  if (inLen === 0) throw truncated();
  if (src[0]! > 17) {
    const n = src[ip++]! - 17;
    if (ip + n > inLen) throw truncated();
    if (op + n > cap) {
      out = grow(out, op, op + n, maxOutput);
      cap = out.length;
    }
    for (let i = 0; i < n; i++) out[op++] = src[ip++]!;
    state = Math.min(n, 4);
  }

  for (;;) {
    if (ip >= inLen) throw truncated();
    const t = src[ip++]!;
    let dist: number;
    let len: number;
    if (t >= 64) {
      // M2: 3..8 bytes within 2 KiB.
      if (ip >= inLen) throw truncated();
      dist = 1 + ((t >> 2) & 7) + (src[ip++]! << 3);
      len = (t >> 5) + 1;
    } else if (t >= 32) {
      // M3: within 16 KiB.
      len = t & 31;
      if (len === 0) {
        len = 31;
        for (;;) {
          if (ip >= inLen) throw truncated();
          const b = src[ip++]!;
          if (b !== 0) {
            len += b;
            break;
          }
          len += 255;
          if (len > maxOutput)
            throw new DistccProtocolError(
              "DISTCC_ERR_LIMIT",
              `LZO1X run length exceeds the limit of ${maxOutput} bytes`,
            );
        }
      }
      len += 2;
      if (ip + 2 > inLen) throw truncated();
      dist = 1 + (src[ip]! >> 2) + (src[ip + 1]! << 6);
      ip += 2;
    } else if (t >= 16) {
      // M4: 16..48 KiB back, or the end marker.
      len = t & 7;
      if (len === 0) {
        len = 7;
        for (;;) {
          if (ip >= inLen) throw truncated();
          const b = src[ip++]!;
          if (b !== 0) {
            len += b;
            break;
          }
          len += 255;
          if (len > maxOutput)
            throw new DistccProtocolError(
              "DISTCC_ERR_LIMIT",
              `LZO1X run length exceeds the limit of ${maxOutput} bytes`,
            );
        }
      }
      len += 2;
      if (ip + 2 > inLen) throw truncated();
      const d = ((t & 8) << 11) + (src[ip]! >> 2) + (src[ip + 1]! << 6);
      ip += 2;
      if (d === 0) {
        if (ip !== inLen) throw corrupt(`${inLen - ip} bytes after the end marker`);
        if (out.length <= SCRATCH_MAX) scratch.out = out;
        return out.slice(0, op);
      }
      dist = d + 16384;
    } else if (state === 0) {
      // A literal run of 3+ bytes.
      let n = t;
      if (n === 0) {
        n = 15;
        for (;;) {
          if (ip >= inLen) throw truncated();
          const b = src[ip++]!;
          if (b !== 0) {
            n += b;
            break;
          }
          n += 255;
          if (n > inLen) throw truncated();
        }
      }
      n += 3;
      if (ip + n > inLen) throw truncated();
      if (op + n > cap) {
        out = grow(out, op, op + n, maxOutput);
        cap = out.length;
      }
      if (n > 32) {
        out.set(src.subarray(ip, ip + n), op);
        op += n;
        ip += n;
      } else {
        for (let i = 0; i < n; i++) out[op++] = src[ip++]!;
      }
      state = 4;
      continue;
    } else {
      // M1: a 2-byte near match after trailing literals, or a 3-byte match 2-3 KiB back after a run.
      if (ip >= inLen) throw truncated();
      if (state === 4) {
        dist = 2049 + (t >> 2) + (src[ip++]! << 2);
        len = 3;
      } else {
        dist = 1 + (t >> 2) + (src[ip++]! << 2);
        len = 2;
      }
    }
    // Copy the match, then the 0..3 literals named by the low bits of the byte two back.
    if (dist > op) throw corrupt("match distance points before the start of the output");
    const s = src[ip - 2]! & 3;
    if (op + len + s > cap) {
      out = grow(out, op, op + len + s, maxOutput);
      cap = out.length;
    }
    let from = op - dist;
    if (dist >= len && len > 32) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping copies repeat the last `dist` bytes, so they go byte by byte.
      const end = op + len;
      while (op < end) out[op++] = out[from++]!;
    }
    if (s > 0) {
      if (ip + s > inLen) throw truncated();
      out[op++] = src[ip++]!;
      if (s > 1) out[op++] = src[ip++]!;
      if (s > 2) out[op++] = src[ip++]!;
    }
    state = s;
  }
}
