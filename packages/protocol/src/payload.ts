import { lz4Compress, lz4Decompress } from "./lz4.js";
import { lzo1xCompress } from "./lzo/compress.js";
import { lzo1xDecompress } from "./lzo/decompress.js";
import type { Compression } from "./messages.js";

/** Compresses one body; the zero rule (spec 6) is the caller's: an empty body is sent as length 0. */
export function compressBody(data: Uint8Array, compression: Compression): Uint8Array {
  return compression === "lz4" ? lz4Compress(data) : lzo1xCompress(data);
}

/** Decompresses one non-empty body, bounded by maxOutput. */
export function decompressBody(data: Uint8Array, compression: Compression, maxOutput: number): Uint8Array {
  return compression === "lz4" ? lz4Decompress(data, { maxOutput }) : lzo1xDecompress(data, { maxOutput });
}
