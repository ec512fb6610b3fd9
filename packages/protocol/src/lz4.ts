import { compress as lz4jsCompress } from "lz4js";
import { DistccProtocolError } from "./errors.js";
import { growOutput } from "./grow-output.js";

/**
 * LZ4 for our own extension (never seen by a real distcc peer): bodies are complete LZ4 *frames*
 * (magic 04 22 4d 18), as written by lz4js and readable by the `lz4` CLI. Compression is lz4js;
 * decompression is our own bounded frame/block reader, because lz4js's reader writes past a
 * fixed buffer silently and trusts every offset.
 */
export function lz4Compress(data: Uint8Array): Uint8Array {
  return lz4jsCompress(data);
}

export interface Lz4DecompressOptions {
  /** Hard cap on the decompressed size (DISTCC_ERR_LIMIT beyond it). Default 1 GiB. */
  maxOutput?: number;
  /** Expected decompressed size, to allocate once. */
  sizeHint?: number;
}

const MAGIC = 0x184d2204;

const grow = (out: Uint8Array, used: number, want: number, maxOutput: number): Uint8Array =>
  growOutput(out, used, want, maxOutput, "LZ4");

function corrupt(what: string): DistccProtocolError {
  return new DistccProtocolError("DISTCC_ERR_LZ4", `corrupt LZ4 frame: ${what}`);
}

export function lz4Decompress(data: Uint8Array, opts: Lz4DecompressOptions = {}): Uint8Array {
  const maxOutput = opts.maxOutput ?? 1 << 30;
  const src = data;
  const n = src.length;
  let ip = 0;
  const u32 = (): number => {
    if (ip + 4 > n) throw corrupt("input ends inside a header");
    const v = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
    ip += 4;
    return v;
  };
  if (u32() !== MAGIC) throw corrupt("bad magic number");
  if (ip + 2 > n) throw corrupt("input ends inside the frame descriptor");
  const flg = src[ip++]!;
  ip++; // BD: block maximum size; we bound by maxOutput instead.
  if (flg >> 6 !== 1) throw corrupt("unsupported frame version");
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  if (dictId) throw corrupt("dictionaries are not supported");
  if (contentSize) ip += 8;
  ip += 1; // header checksum
  if (ip > n) throw corrupt("input ends inside the frame descriptor");

  let out: Uint8Array = new Uint8Array(Math.min(maxOutput, Math.max(opts.sizeHint ?? n * 4, 64)));
  let cap = out.length;
  let op = 0;

  for (;;) {
    const word = u32();
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (ip + size > n) throw corrupt("block longer than the input");
    const end = ip + size;
    if (word & 0x80000000) {
      if (op + size > cap) {
        out = grow(out, op, op + size, maxOutput);
        cap = out.length;
      }
      out.set(src.subarray(ip, end), op);
      op += size;
      ip = end;
    } else {
      while (ip < end) {
        const token = src[ip++]!;
        let lit = token >> 4;
        if (lit === 15) {
          for (;;) {
            if (ip >= end) throw corrupt("literal length runs past the block");
            const b = src[ip++]!;
            lit += b;
            if (b !== 255) break;
          }
        }
        if (ip + lit > end) throw corrupt("literals run past the block");
        if (op + lit > cap) {
          out = grow(out, op, op + lit, maxOutput);
          cap = out.length;
        }
        if (lit > 32) {
          out.set(src.subarray(ip, ip + lit), op);
          op += lit;
          ip += lit;
        } else {
          for (let i = 0; i < lit; i++) out[op++] = src[ip++]!;
        }
        if (ip === end) break; // the last sequence has literals only
        if (ip + 2 > end) throw corrupt("match offset runs past the block");
        const dist = src[ip]! | (src[ip + 1]! << 8);
        ip += 2;
        if (dist === 0 || dist > op) throw corrupt("match offset points outside the output");
        let len = token & 15;
        if (len === 15) {
          for (;;) {
            if (ip >= end) throw corrupt("match length runs past the block");
            const b = src[ip++]!;
            len += b;
            if (b !== 255) break;
          }
        }
        len += 4;
        if (op + len > cap) {
          out = grow(out, op, op + len, maxOutput);
          cap = out.length;
        }
        let from = op - dist;
        if (dist >= len && len > 32) {
          out.copyWithin(op, from, from + len);
          op += len;
        } else {
          const stop = op + len;
          while (op < stop) out[op++] = out[from++]!;
        }
      }
    }
    if (blockChecksum) ip += 4;
  }
  if (contentChecksum) ip += 4;
  if (ip !== n) throw corrupt(ip > n ? "input ends inside a checksum" : `${n - ip} bytes after the frame`);
  return out.subarray(0, op);
}
