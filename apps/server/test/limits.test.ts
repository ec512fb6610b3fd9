import { connect, type Socket } from "node:net";
import { encodeRequest } from "@x/distcc-protocol";
import { describe, expect, it } from "vitest";
import { waitFor } from "@x/testkit";
import { exchange, startTestServer } from "./helpers.js";
import { burnRequest, capture, decodeResponse } from "./wire.js";

const hello = (): Buffer => capture("p1-hello-c", "c2s");

/** 10 million newlines: cc1 needs over a GB for their line map (a 20-byte LZO-compressed body). */
const newlines = (): Uint8Array[] =>
  encodeRequest({
    version: 1,
    argv: ["gcc", "-c", "big.c", "-o", "big.o"],
    source: Buffer.from(`${"\n".repeat(10_000_000)}int x;\n`),
  });

const stderrOf = (bytes: Buffer): string => Buffer.from(decodeResponse(bytes, 1).stderr).toString();

describe("limits per job", () => {
  it("a memory bomb ends with a clear error (--max-compiler-memory) and the server keeps serving", async () => {
    const srv = await startTestServer({ compilerLimits: { addressSpaceMiB: 128 } });
    try {
      expect(srv.server.sandbox).toBe("bwrap");
      expect(srv.server.stats().sandbox).toEqual({ mode: "auto", state: "bwrap" });
      const r = await exchange(srv.port, newlines());
      expect(decodeResponse(r.bytes, 1).status).not.toBe(0);
      expect(stderrOf(r.bytes)).toMatch(/memory exhausted|out of memory/);
      expect(stderrOf(r.bytes)).toContain("--max-compiler-memory is 128 MiB");
      expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
      expect(await srv.leftovers()).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it("a CPU bomb is stopped by --max-compiler-cpu with a clear error, and the server keeps serving", async () => {
    const srv = await startTestServer({ compilerLimits: { cpuSeconds: 1 } });
    try {
      const r = await exchange(srv.port, burnRequest());
      expect(decodeResponse(r.bytes, 1).status).not.toBe(0);
      expect(stderrOf(r.bytes)).toContain("CPU time limit exceeded");
      expect(stderrOf(r.bytes)).toContain("--max-compiler-cpu is 1 s");
      expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
    } finally {
      await srv.stop();
    }
  });

  it("an output bomb (a 60-byte .fill of 64 MiB) is stopped by --max-compiler-output with a clear error, and the server keeps serving", async () => {
    // Found by a fresh attacker's try: nothing bounded what a compile writes (the tmpfs and then the
    // server's memory took gigabytes from two tiny requests).
    const srv = await startTestServer({ compilerLimits: { fileSizeMiB: 16 } });
    try {
      const fill = encodeRequest({
        version: 1,
        argv: ["gcc", "-c", "fill.c", "-o", "fill.o"],
        source: Buffer.from('asm(".data\\n.fill 8388608, 8, 0x4141414141414141\\n");\n'),
      });
      const r = await exchange(srv.port, fill);
      expect(decodeResponse(r.bytes, 1).status).not.toBe(0);
      expect(stderrOf(r.bytes)).toContain("--max-compiler-output");
      expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
      expect(await srv.leftovers()).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it("--sandbox none runs without one, and says so", async () => {
    const srv = await startTestServer({ sandbox: "none" });
    try {
      expect(srv.server.sandbox).toBe("none");
      expect(srv.server.stats().sandbox).toEqual({ mode: "none", state: "none" });
      expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
    } finally {
      await srv.stop();
    }
  });
});

describe("limits per client", () => {
  it("one address cannot hold every connection: over --max-client-connections it is refused while another client still compiles", async () => {
    const srv = await startTestServer({ maxConnectionsPerClient: 4, readTimeoutMs: 60_000, headerTimeoutMs: 60_000 });
    const silent: Socket[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const s = connect({ port: srv.port, host: "127.0.0.1" });
        s.on("error", () => undefined);
        silent.push(s);
      }
      await waitFor(
        "srv.server.stats().results.REJ_OVERLOAD === 6",
        () => srv.server.stats().results.REJ_OVERLOAD === 6,
      );
      expect(
        srv.jobs
          .filter((j) => j.result === "REJ_OVERLOAD")
          .every((j) => /--max-client-connections/.test(j.reason ?? "")),
      ).toBe(true);
      // The same address is refused, another one is served.
      expect((await exchange(srv.port, hello())).bytes.length).toBe(0);
      expect(decodeResponse((await exchange(srv.port, hello(), { localAddress: "127.0.0.2" })).bytes, 1).status).toBe(
        0,
      );
    } finally {
      for (const s of silent) s.destroy();
      await srv.stop();
    }
  });

  it("a connection that does not send its command line in time is dropped (header deadline), even if it trickles bytes", async () => {
    const srv = await startTestServer({ headerTimeoutMs: 300, readTimeoutMs: 60_000 });
    try {
      const request = Buffer.concat(
        encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c", "-o", "x.o"], source: Buffer.from("int x;\n") }),
      );
      const closed = await new Promise<number>((resolve) => {
        const s = connect({ port: srv.port, host: "127.0.0.1" });
        let sent = 0;
        const drip = setInterval(() => {
          if (sent < request.length && !s.destroyed) s.write(request.subarray(sent, ++sent));
        }, 40);
        s.on("error", () => undefined);
        s.on("close", () => {
          clearInterval(drip);
          resolve(sent);
        });
      });
      expect(closed).toBeLessThan(request.length);
      await waitFor("srv.jobs.length > 0", () => srv.jobs.length > 0);
      expect(srv.jobs[0]?.reason).toMatch(/no complete command line within 300 ms/);
    } finally {
      await srv.stop();
    }
  });

  it("one address cannot fill the queue: over --max-client-queue it is refused while another client still gets in line", async () => {
    const srv = await startTestServer({ jobs: 1, maxQueue: 10, maxQueuePerClient: 1, jobLifetimeMs: 3000 });
    try {
      const a1 = exchange(srv.port, burnRequest());
      await waitFor("srv.server.stats().running === 1", () => srv.server.stats().running === 1, { timeoutMs: 10_000 });
      const a2 = exchange(srv.port, hello());
      await waitFor("srv.server.stats().queued === 1", () => srv.server.stats().queued === 1, { timeoutMs: 10_000 });
      const a3 = await exchange(srv.port, hello());
      expect(a3.bytes.length).toBe(0);
      expect(srv.jobs.find((j) => j.result === "REJ_OVERLOAD")?.reason).toMatch(/--max-client-queue/);
      const b = exchange(srv.port, hello(), { localAddress: "127.0.0.2" });
      await waitFor("srv.server.stats().queued === 2", () => srv.server.stats().queued === 2, { timeoutMs: 10_000 });
      expect(decodeResponse((await a1).bytes, 1).status).toBe(118 << 8); // --job-lifetime
      expect(decodeResponse((await a2).bytes, 1).status).toBe(0);
      expect(decodeResponse((await b).bytes, 1).status).toBe(0);
    } finally {
      await srv.stop();
    }
  });
});
