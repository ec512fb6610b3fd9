import type { Socket } from "node:net";
import { encodeResponse } from "../encode.js";
import { DistccConnectionError } from "../errors.js";
import type { CompileResponse, Compression } from "../messages.js";
import { writeChunks } from "./write-chunks.js";

export interface WriteCompileResponseOptions {
  /** Body compression for versions 2/3 ("lz4" only when both ends are ours). Default "lzo". */
  compression?: Compression;
  /** Close our side after the last byte, as distccd does (default true). */
  end?: boolean;
}

/**
 * Server side: writes a response (DOTO only when status is 0, DOTD only in v3 on success), with
 * backpressure. Resolves once everything is flushed to the kernel (and, by default, the socket ended).
 * Rejects with DistccConnectionError DISTCC_ERR_CLOSED if the client went away.
 */
export async function writeCompileResponse(
  socket: Socket,
  res: CompileResponse,
  opts: WriteCompileResponseOptions = {},
): Promise<void> {
  const chunks = encodeResponse(res, { compression: opts.compression });
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    failure = err;
  };
  socket.on("error", onError);
  try {
    await writeChunks(socket, chunks);
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (opts.end ?? true) socket.end(done);
      else socket.write(new Uint8Array(0), done);
    });
    if (failure) throw failure;
  } catch (err) {
    throw new DistccConnectionError(
      "DISTCC_ERR_CLOSED",
      `could not send the response: ${(failure ?? (err as Error)).message}`,
      { cause: failure ?? err },
    );
  } finally {
    socket.off("error", onError);
    // A late reset from the client must not become an uncaught 'error'.
    if (socket.listenerCount("error") === 0) socket.on("error", () => {});
  }
}
