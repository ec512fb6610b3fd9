import { DistccConnectionError } from "../errors.js";
import type { Socket } from "node:net";

/**
 * Writes chunks in order, waiting for 'drain' when the socket's buffer is full, so a big body is
 * never buffered twice. Resolves when the last chunk was handed to the socket; rejects if the
 * socket closes first. Errors themselves surface through the socket's 'error' event. `onFlushed`
 * runs once the last chunk has left Node for the kernel (its write callback).
 */
export async function writeChunks(
  socket: Socket,
  chunks: readonly Uint8Array[],
  onFlushed?: () => void,
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
      if (!written) {
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
