import type { Duplex } from "node:stream";
import { encodeResponse, type CompileResponse, type Compression } from "@x/distcc-protocol";

/**
 * Writes a response (chunks, honouring back-pressure), then `after` (our trailer, see
 * writeAfterResponse) and, unless `end` is false, ends our side. Resolves with the byte count.
 */
export async function writeResponse(conn: Duplex, response: CompileResponse, end = true, compression: Compression = "lzo", after?: Uint8Array): Promise<number> {
  // Small chunks (one per token, and the trailer) are joined into one write: one syscall for a
  // typical answer instead of one per token.
  const encoded = encodeResponse(response, { compression });
  if (after && after.length > 0) encoded.push(after);
  const chunks = batchChunks(encoded);
  let bytes = 0;
  for (const chunk of chunks) {
    bytes += chunk.length;
    if (conn.destroyed) throw new Error("connection closed before the response was sent");
    if (!conn.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          conn.off("close", onClose);
          resolve();
        };
        const onClose = (): void => {
          conn.off("drain", onDrain);
          reject(new Error("connection closed while sending the response"));
        };
        conn.once("drain", onDrain);
        conn.once("close", onClose);
      });
    }
  }
  if (end) await endStream(conn);
  return bytes;
}

const BATCH_BYTES = 256 * 1024;

/** Joins consecutive chunks into buffers of up to BATCH_BYTES (a bigger chunk passes alone). */
function* batchChunks(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let size = 0;
  for (const chunk of chunks) {
    if (size > 0 && size + chunk.length > BATCH_BYTES) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
    pending.push(chunk);
    size += chunk.length;
  }
  if (size > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
}

/** Ends our side of the connection; resolves once the data is flushed. */
export function endStream(conn: Duplex): Promise<void> {
  return new Promise<void>((resolve) => {
    if (conn.destroyed || conn.writableEnded) resolve();
    else conn.end(resolve);
  });
}

/**
 * Ends our side and, once everything is handed to the kernel, closes the socket (as distccd does:
 * write, close). Waiting for the client's close instead costs a reset for every real distcc
 * client: it leaves our trailer unread, so its close is an RST, which Node turns into an
 * ECONNRESET error with a stack trace. The kernel still delivers what we sent, then our FIN.
 */
export async function closeAfterFlush(conn: Duplex): Promise<void> {
  await endStream(conn);
  conn.destroy();
}

/** A failure answered the way distccd answers one it synthesises (spec 5.2): STAT code<<8, SERR why. */
export function syntheticFailure(version: CompileResponse["version"], exitCode: number, message: string): CompileResponse {
  const empty = new Uint8Array(0);
  return { version, status: exitCode << 8, stderr: Buffer.from(message.endsWith("\n") ? message : `${message}\n`), stdout: empty, object: empty };
}

/**
 * Writes bytes after the response without waiting: a real distcc client closes as soon as it has
 * read the response, so the write may meet a reset, which is no failure of the job (the
 * connection's error listener sees it).
 */
export function writeAfterResponse(conn: Duplex, bytes: Uint8Array): void {
  if (conn.destroyed || conn.writableEnded) return;
  conn.write(bytes, () => {});
}
