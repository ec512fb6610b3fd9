import { DistccConnectionError } from "../errors.js";
import type { Socket } from "node:net";

/**
 * Writes chunks in order, waiting for 'drain' once more than `queueLimit` bytes wait in the socket
 * (default: its high-water mark), so a big body is never buffered twice. Resolves when the last
 * chunk was handed to the socket; rejects if the socket closes first. Errors themselves surface
 * through the socket's 'error' event. `onFlushed` runs once the last chunk has left Node for the
 * kernel (its write callback).
 *
 * Chunks that are all in memory already (a request: the compressed headers are kept buffers) may
 * take a larger `queueLimit`: queued, they are referenced, not copied, and a pump request then
 * leaves in one writev instead of one per 16 KiB with an event-loop turn between.
 */
export async function writeChunks(
  socket: Socket,
  chunks: readonly Uint8Array[],
  onFlushed?: () => void,
  queueLimit = socket.writableHighWaterMark,
): Promise<void> {
  // Corked, the chunks leave in one writev per buffer-full instead of one write(2) each (a pump
  // request is a few dozen chunks).
  socket.cork();
  try {
    for (let i = 0; i < chunks.length; i++) {
      if (socket.destroyed) throw new DistccConnectionError("DISTCC_ERR_CLOSED", "socket closed while writing");
      const chunk = chunks[i]!;
      const written =
        onFlushed && i === chunks.length - 1
          ? socket.write(chunk, (err) => (err ? undefined : onFlushed()))
          : socket.write(chunk);
      if (!written && socket.writableLength > queueLimit) {
        socket.uncork();
        await drained(socket);
        socket.cork();
      }
    }
  } finally {
    socket.uncork();
  }
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      socket.off("close", onClose);
      resolve();
    };
    const onClose = (): void => {
      socket.off("drain", onDrain);
      reject(new DistccConnectionError("DISTCC_ERR_CLOSED", "socket closed while writing"));
    };
    socket.once("drain", onDrain);
    socket.once("close", onClose);
  });
}
