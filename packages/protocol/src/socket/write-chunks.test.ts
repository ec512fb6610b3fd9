// writeChunks' backpressure: by default it waits for a peer that does not read; with a queue limit
// above what it writes, everything is handed over at once. Either way the bytes arrive in order.
import { createServer, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { writeChunks } from "./write-chunks.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A connected pair over loopback; the server side starts paused (reads nothing). */
async function pair(): Promise<{ client: Socket; server: Socket }> {
  let server!: Socket;
  const client = new Socket();
  const accepted = new Promise<void>((resolve) => {
    const listener = createServer((s) => {
      s.pause();
      server = s;
      resolve();
    });
    listener.listen(0, "127.0.0.1", () => {
      const { port } = listener.address() as { port: number };
      client.connect(port, "127.0.0.1");
    });
    cleanups.push(() => listener.close());
  });
  await accepted;
  cleanups.push(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

/** 48 MiB in 1 MiB chunks, each filled with its index: more than loopback's buffers hold. */
const chunks = Array.from({ length: 48 }, (_, i) => new Uint8Array(1024 * 1024).fill(i));

function receiveAll(server: Socket, total: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    server.on("data", (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= total) resolve(Buffer.concat(parts));
    });
    server.resume();
  });
}

const settledWithin = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("writeChunks", () => {
  it("waits for a peer that reads nothing (the default limit), then delivers every byte in order", async () => {
    const { client, server } = await pair();
    const written = writeChunks(client, chunks);
    expect(await settledWithin(written, 300)).toBe(false);
    const received = await receiveAll(server, 48 * 1024 * 1024);
    await written;
    for (let i = 0; i < 48; i++) expect(received[i * 1024 * 1024 + 12345]).toBe(i);
  });

  it("with a queue limit above the request, hands everything over at once", async () => {
    const { client, server } = await pair();
    let flushed = false;
    const written = writeChunks(client, chunks, () => (flushed = true), 64 * 1024 * 1024);
    expect(await settledWithin(written, 300)).toBe(true);
    expect(flushed).toBe(false); // still queued in the socket: the peer has read nothing
    const received = await receiveAll(server, 48 * 1024 * 1024);
    for (let i = 0; i < 48; i++) expect(received[i * 1024 * 1024 + 12345]).toBe(i);
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(true);
  });
});
