import { connect, createServer, type Socket } from "node:net";
import { DistccProtocolError, ResponseDecoder } from "@x/distcc-protocol";
import { listen } from "./fake-hosts.js";

export interface SlowProxy {
  host: string;
  /** Jobs (connections) it served. */
  jobs(): number;
  /** Most jobs in flight at once. */
  maxConcurrent(): number;
  close(): Promise<void>;
}

/**
 * A helper made slow: a TCP proxy in front of a real server that holds each answer until `delayMs`
 * after the real server's answer is complete, so that it is always that much slower than the real
 * server, however loaded the machine is (a helper that took a fixed time per job was no slower at
 * all once a compile itself took that long). It counts jobs in flight; a job ends when its answer is
 * complete (decoded), before the last chunk is forwarded, so the client cannot have started its
 * next job on this host yet.
 */
export async function slowProxy(upstreamPort: number, delayMs: number, version: 1 | 2 = 2): Promise<SlowProxy> {
  let now = 0;
  let max = 0;
  let total = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    now++;
    total++;
    max = Math.max(max, now);
    const upstream = connect(upstreamPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    // Resolved delayMs after the answer is complete; every chunk waits on it, in order.
    let release = (): void => {};
    const ready = new Promise<void>((r) => (release = r));
    const answerComplete = (): void => void setTimeout(release, delayMs);
    const decoder = new ResponseDecoder(version);
    let ended = false;
    const endJob = (): void => {
      if (ended) return;
      ended = true;
      now--;
    };
    upstream.on("data", (chunk: Buffer) => {
      let last = false;
      try {
        last = decoder.push(chunk).some((e) => e.type === "end");
      } catch (err) {
        if (!(err instanceof DistccProtocolError)) throw err;
        last = true; // not a response we can follow: treat this chunk as its end
      }
      if (last) answerComplete();
      // Chained on one promise: chunks keep their order.
      void ready.then(() => {
        if (last) endJob();
        client.write(chunk);
      });
    });
    const done = (): void => {
      endJob();
      client.destroy();
      upstream.destroy();
    };
    upstream.on("end", () => {
      answerComplete(); // an answer cut short is held as long
      void ready.then(() => client.end());
    });
    client.on("close", done);
    client.on("error", done);
    upstream.on("error", done);
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    jobs: () => total,
    maxConcurrent: () => max,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
