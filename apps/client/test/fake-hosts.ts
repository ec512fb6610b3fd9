import { connect, createServer, type Server, type Socket } from "node:net";
import { DistccProtocolError, ResponseDecoder } from "@x/distcc-protocol";

export interface FakeHost {
  port: number;
  host: string;
  /** Most connections open at the same time. */
  maxConcurrent(): number;
  connections(): number;
  close(): Promise<void>;
}

/** Listens on a free loopback port; resolves with it. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
}

function handle(
  server: Server,
  port: number,
  sockets: Set<Socket>,
  counters: { now: number; max: number; total: number },
): FakeHost {
  return {
    port,
    host: `127.0.0.1:${port}`,
    maxConcurrent: () => counters.max,
    connections: () => counters.total,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy in front of a real server that counts concurrent connections (= concurrent jobs:
 * distcc speaks one job per connection), so a test can check the per-host limit held.
 */
export async function countingProxy(upstreamPort: number, version: 1 | 2 = 1): Promise<FakeHost> {
  const counters = { now: 0, max: 0, total: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    counters.now++;
    counters.total++;
    counters.max = Math.max(counters.max, counters.now);
    const upstream = connect(upstreamPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    // A job ends when its response is complete: decode it, and count the end BEFORE forwarding the
    // last chunk (the client cannot start its next job on this host before it has that chunk).
    const decoder = new ResponseDecoder(version);
    upstream.on("data", (chunk: Buffer) => {
      try {
        if (!ended && decoder.push(chunk).some((e) => e.type === "end")) endJob();
      } catch (err) {
        if (!(err instanceof DistccProtocolError)) throw err;
        endJob(); // not a response we can follow: the job is over for counting
      }
      client.write(chunk);
    });
    let ended = false;
    const endJob = (): void => {
      if (ended) return;
      ended = true;
      counters.now--;
    };
    const done = (): void => {
      endJob();
      client.destroy();
      upstream.destroy();
    };
    upstream.on("end", () => client.end());
    client.on("close", done);
    upstream.on("close", done);
    client.on("error", done);
    upstream.on("error", done);
  });
  return handle(server, await listen(server), sockets, counters);
}

/** Accepts, reads the request, and never answers (a stalled helper). */
export async function stallingHost(): Promise<FakeHost> {
  const counters = { now: 0, max: 0, total: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    counters.total++;
    sockets.add(s);
    s.on("data", () => undefined);
    s.on("error", () => undefined);
  });
  return handle(server, await listen(server), sockets, counters);
}

/** Reads the request, starts a valid answer, then dies in the middle of it. */
export async function dyingHost(): Promise<FakeHost> {
  const counters = { now: 0, max: 0, total: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    counters.total++;
    sockets.add(s);
    s.on("error", () => undefined);
    let answered = false;
    s.on("data", (d: Buffer) => {
      // The request ends with DOTI; answer as soon as its header has been seen.
      if (answered || !d.includes("DOTI")) return;
      answered = true;
      s.write("DONE00000001STAT00000000SERR00000000SOUT00000000DOTO00000400\x7fELF", () => s.destroy());
    });
  });
  return handle(server, await listen(server), sockets, counters);
}
