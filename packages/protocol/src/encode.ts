import { ChunkWriter } from "./chunk-writer.js";
import { DistccProtocolError } from "./errors.js";
import type { CompileRequest, CompileResponse, Compression, ProtocolVersion } from "./messages.js";
import { compressBody } from "./payload.js";

export interface EncodeOptions {
  /** Body compression for versions 2 and 3: "lzo" (distcc, default) or "lz4" (our extension). */
  compression?: Compression;
}

function checkVersion(version: number): asserts version is ProtocolVersion {
  if (version !== 0 && version !== 1 && version !== 2 && version !== 3) {
    throw new DistccProtocolError("DISTCC_ERR_BAD_VERSION", `protocol version ${version} is not 0..3`);
  }
}

/** A compressed body per the zero rule: empty stays empty (length 0, no stream). */
function body(data: Uint8Array, compressed: boolean, compression: Compression): Uint8Array {
  if (!compressed || data.length === 0) return data;
  return compressBody(data, compression);
}

/**
 * The bytes of a request, as chunks to write in order (big bodies are not copied). Protocols
 * 0/1/2 need `source`; protocol 3 needs `cwd` and `files` (FILE contents are compressed here,
 * unless an entry carries its wire form in `compressed`).
 */
export function encodeRequest(req: CompileRequest, opts: EncodeOptions = {}): Uint8Array[] {
  checkVersion(req.version);
  const compression = opts.compression ?? "lzo";
  const w = new ChunkWriter();
  w.header("DIST", req.version);
  if (req.version === 3) {
    if (req.cwd === undefined)
      throw new DistccProtocolError("DISTCC_ERR_BAD_MESSAGE", "a protocol 3 request needs cwd");
    w.stringPacket("CDIR", req.cwd);
  }
  w.header("ARGC", req.argv.length);
  for (const arg of req.argv) w.stringPacket("ARGV", arg);
  if (req.version === 3) {
    const files = req.files ?? [];
    w.header("NFIL", files.length);
    for (const entry of files) {
      w.stringPacket("NAME", entry.name);
      if (entry.kind === "link") {
        w.stringPacket("LINK", entry.target);
      } else {
        w.packet("FILE", entry.compressed ?? body(entry.content, true, compression));
      }
    }
  } else {
    if (req.source === undefined) {
      throw new DistccProtocolError("DISTCC_ERR_BAD_MESSAGE", `a protocol ${req.version} request needs source`);
    }
    w.packet("DOTI", body(req.source, req.version === 2, compression));
  }
  return w.finish();
}

/**
 * The bytes of a response, as chunks. As distccd does: DOTO has length 0 and no body unless
 * status is 0, and DOTD (protocol 3 only) is sent only when status is 0 (empty if `deps` is absent).
 */
export function encodeResponse(res: CompileResponse, opts: EncodeOptions = {}): Uint8Array[] {
  checkVersion(res.version);
  const compression = opts.compression ?? "lzo";
  const compressed = res.version >= 2;
  const w = new ChunkWriter();
  w.header("DONE", res.version);
  w.header("STAT", res.status >>> 0);
  w.packet("SERR", body(res.stderr, compressed, compression));
  w.packet("SOUT", body(res.stdout, compressed, compression));
  const ok = res.status === 0;
  w.packet("DOTO", ok ? body(res.object, compressed, compression) : new Uint8Array(0));
  if (res.version === 3 && ok) w.packet("DOTD", body(res.deps ?? new Uint8Array(0), compressed, compression));
  return w.finish();
}

/** Concatenates chunks (for tests and small messages). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
