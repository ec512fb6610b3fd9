import { connect, createServer, type Server, type Socket } from "node:net";

export interface RecordingProxy {
  port: number;
  host: string;
  /** What each client connection sent to the server, in order. */
  requests(): Buffer[];
  stop(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 in front of `target`: records every byte a client sends, forwards both ways. */
export async function startRecordingProxy(target: { port: number }): Promise<RecordingProxy> {
  const recorded: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const chunks: Buffer[] = [];
    recorded.push(chunks);
    const upstream = connect({ host: "127.0.0.1", port: target.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    client.on("end", () => upstream.end());
    upstream.pipe(client);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    }),
  );
  return {
    port,
    host: `127.0.0.1:${port}`,
    requests: () => recorded.map((c) => Buffer.concat(c)),
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
