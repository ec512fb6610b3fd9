// A TCP server on 127.0.0.1 for one test, for the socket helpers to talk to.
import { createServer, type Server, type Socket } from "node:net";

/**
 * Listens on a free 127.0.0.1 port; `cleanups` gets the step that ends it (its open sockets
 * destroyed, the server closed), for the test file's afterEach to run.
 */
export async function listenOnLoopback(
  onSocket: (socket: Socket) => void,
  cleanups: (() => void | Promise<void>)[],
): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r()));
  });
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0 };
}
