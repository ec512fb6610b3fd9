import type { Socket } from "node:net";

/**
 * Writes chunks in order, waiting for 'drain' when the socket's buffer is full, so a big body is
 * never buffered twice. Resolves when the last chunk was handed to the socket; rejects if the
 * socket closes first. Errors themselves surface through the socket's 'error' event.
 */
export async function writeChunks(socket: Socket, chunks: readonly Uint8Array[]): Promise<void> {
  for (const chunk of chunks) {
    if (socket.destroyed) throw new Error("socket closed while writing");
    if (!socket.write(chunk)) await drained(socket);
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
      reject(new Error("socket closed while writing"));
    };
    socket.once("drain", onDrain);
    socket.once("close", onClose);
  });
}
