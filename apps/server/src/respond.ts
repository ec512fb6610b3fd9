import { DistccConnectionError } from "@x/distcc-protocol";
import type { Duplex } from "node:stream";
import { encodeResponse, type CompileResponse, type Compression } from "@x/distcc-protocol";

/**
 * A deadline on sending (issue 14, A11: answers to clients that never read stayed in memory for as
 * long as their sockets stayed open): the client must take some of the answer every `stallMs`, or
 * the send fails. `onProgress` is told each time it does.
 */
export interface SendWatch {
  stallMs: number;
  onProgress?: () => void;
}

/**
 * Writes a response (chunks, honouring back-pressure), then `after` (our trailer, see
 * writeAfterResponse) and, unless `end` is false, ends our side. Resolves with the byte count.
 */
export async function writeResponse(
  conn: Duplex,
  response: CompileResponse,
  end = true,
  compression: Compression = "lzo",
  after?: Uint8Array,
  watch?: SendWatch,
): Promise<number> {
  // Small chunks (one per token, and the trailer) are joined into one write: one syscall for a
  // typical answer instead of one per token.
  const encoded = encodeResponse(response, { compression });
  if (after && after.length > 0) encoded.push(after);
  const chunks = batchChunks(encoded);
  let bytes = 0;
  for (const chunk of chunks) {
    bytes += chunk.length;
    if (conn.destroyed)
      throw new DistccConnectionError("DISTCC_ERR_CLOSED", "connection closed before the response was sent");
    if (!conn.write(chunk)) {
      await drained(conn, watch?.stallMs);
      watch?.onProgress?.();
    }
  }
  if (end) await endStream(conn, watch?.stallMs);
  return bytes;
}

/** Resolves on the next "drain"; rejects on close, or when none comes within `stallMs`. */
function drained(conn: Duplex, stallMs: number | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      conn.off("drain", onDrain);
      conn.off("close", onClose);
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void =>
      done(new DistccConnectionError("DISTCC_ERR_CLOSED", "connection closed while sending the response"));
    const timer = stallMs
      ? setTimeout(
          () =>
            done(
              new DistccConnectionError(
                "DISTCC_ERR_TIMEOUT",
                `the client read nothing of its answer for ${stallMs} ms`,
              ),
            ),
          stallMs,
        )
      : undefined;
    conn.once("drain", onDrain);
    conn.once("close", onClose);
  });
}

const BATCH_BYTES = 256 * 1024;

/**
 * Joins consecutive chunks into buffers of up to BATCH_BYTES; a bigger chunk (an object) passes in
 * slices of BATCH_BYTES (views, no copies), so that each slice the client takes is seen as progress
 * by the send deadline (one write of 200 MB completes only when all of it is taken).
 */
function* batchChunks(chunks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let size = 0;
  for (const whole of chunks) {
    for (const chunk of slices(whole)) {
      if (size > 0 && size + chunk.length > BATCH_BYTES) {
        yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
        pending = [];
        size = 0;
      }
      pending.push(chunk);
      size += chunk.length;
    }
  }
  if (size > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
}

/** `chunk` in views of at most BATCH_BYTES (itself when it is no bigger). */
function* slices(chunk: Uint8Array): Generator<Uint8Array> {
  if (chunk.length <= BATCH_BYTES) {
    yield chunk;
    return;
  }
  for (let at = 0; at < chunk.length; at += BATCH_BYTES) yield chunk.subarray(at, at + BATCH_BYTES);
}

/**
 * Ends our side of the connection; resolves once the data is flushed. With `stallMs`, rejects if
 * that is not done so long after the last progress (the client stopped reading).
 */
export function endStream(conn: Duplex, stallMs?: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (conn.destroyed || conn.writableEnded) {
      resolve();
      return;
    }
    const timer = stallMs
      ? setTimeout(
          () =>
            reject(
              new DistccConnectionError(
                "DISTCC_ERR_TIMEOUT",
                `the client read nothing of its answer for ${stallMs} ms`,
              ),
            ),
          stallMs,
        )
      : undefined;
    conn.end(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Ends our side and, once everything is handed to the kernel, closes the socket (as distccd does:
 * write, close). Waiting for the client's close instead costs a reset for every real distcc
 * client: it leaves our trailer unread, so its close is an RST, which Node turns into an
 * ECONNRESET error with a stack trace. The kernel still delivers what we sent, then our FIN.
 */
export async function closeAfterFlush(conn: Duplex, stallMs?: number): Promise<void> {
  try {
    await endStream(conn, stallMs);
  } finally {
    conn.destroy();
  }
}

/** A failure answered the way distccd answers one it synthesises (spec 5.2): STAT code<<8, SERR why. */
export function syntheticFailure(
  version: CompileResponse["version"],
  exitCode: number,
  message: string,
): CompileResponse {
  const empty = new Uint8Array(0);
  return {
    version,
    status: exitCode << 8,
    stderr: Buffer.from(message.endsWith("\n") ? message : `${message}\n`),
    stdout: empty,
    object: empty,
  };
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
