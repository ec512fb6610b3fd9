// Long because each attack needs its own setup beside the innocent client that must still compile.
// Issue 14, a fresh attacker's try: A6 (one address held every compile slot), A7 (four addresses
// filled every connection), A8 (slow requests held the whole memory budget) and A11 (answers to
// clients that never read were held uncounted). Each attack runs here from its own 127.0.0.x
// addresses while an innocent client, from another, still compiles.
import { connect, type Socket } from "node:net";
import { encodeRequest } from "@x/distcc-protocol";
import { waitFor } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { exchange, startTestServer, type TestServer } from "./helpers.js";
import { burnRequest, capture, decodeResponse } from "./wire.js";

const hello = (): Buffer => capture("p1-hello-c", "c2s");

/** A valid protocol-1 compile whose preprocessed source is `bytes` long (comment lines and one definition). */
function sized(bytes: number, name = "big"): Buffer {
  const line = `// ${"x".repeat(60)}\n`;
  const source = `${line.repeat(Math.ceil(bytes / line.length))}int ${name};\n`;
  return Buffer.concat(
    encodeRequest({ version: 1, argv: ["gcc", "-c", `${name}.c`, "-o", `${name}.o`], source: Buffer.from(source) }),
  );
}

/** A 60-byte compile whose object is `mib` MiB (assembler .fill). */
function fill(mib: number): Buffer {
  const source = `asm(".data\\n.fill ${mib * 131072}, 8, 0x4141414141414141\\n");\n`;
  return Buffer.concat(
    encodeRequest({ version: 1, argv: ["gcc", "-c", "fill.c", "-o", "fill.o"], source: Buffer.from(source) }),
  );
}

/** A connection from `localAddress` that sends `bytes` and reports when the server closes it. */
interface Attacker {
  address: string;
  socket: Socket;
  closed: Promise<void>;
  isClosed: () => boolean;
}
function attack(
  port: number,
  localAddress: string,
  bytes: Uint8Array,
  opts: { read?: boolean } = {},
): Promise<Attacker> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress });
    let closed = false;
    const done = new Promise<void>((r) =>
      socket.on("close", () => {
        closed = true;
        r();
      }),
    );
    socket.on("error", () => undefined);
    socket.on("connect", () => {
      // A client that never reads: nothing is taken from the kernel, its buffers fill up.
      if (opts.read === false) socket.pause();
      socket.write(bytes, () => resolve({ address: localAddress, socket, closed: done, isClosed: () => closed }));
    });
  });
}

/** Samples the memory the server counts, every few ms, until stopped; returns the highest seen. */
function watchMemory(srv: TestServer): { stop: () => number } {
  let highest = 0;
  const timer = setInterval(() => (highest = Math.max(highest, srv.server.stats().memory?.used ?? 0)), 2);
  return {
    stop: () => {
      clearInterval(timer);
      return highest;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ok = async (port: number, request: Uint8Array, localAddress: string): Promise<number> =>
  decodeResponse((await exchange(port, request, { localAddress })).bytes, 1).status;

describe("A6: compile slots are shared fairly between client addresses", () => {
  it("one address cannot hold every slot: with --max-client-jobs a newcomer compiles while the attacker's jobs run and wait", async () => {
    const srv = await startTestServer({ jobs: 2, maxJobsPerClient: 1, jobLifetimeMs: 60_000 });
    const attackers: Attacker[] = [];
    try {
      for (let i = 0; i < 3; i++) attackers.push(await attack(srv.port, "127.0.0.1", burnRequest()));
      await waitFor(
        "srv.server.stats().running === 1 && srv.server.stats().queued === 2",
        () => srv.server.stats().running === 1 && srv.server.stats().queued === 2,
        { timeoutMs: 10_000 },
      );
      expect(await ok(srv.port, hello(), "127.0.0.2")).toBe(0);
      await waitFor("srv.jobs.length >= 1", () => srv.jobs.length >= 1);
      // The innocent's job is the first to finish: none of the attacker's (running or queued) went first.
      expect(srv.jobs.map((j) => j.client.split(":")[0])).toEqual(["127.0.0.2"]);
      expect(srv.server.stats().queued).toBe(2);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("a freed slot goes to the address waiting with nothing running, not to the attacker's next queued job (round robin)", async () => {
    const srv = await startTestServer({ jobs: 1, jobLifetimeMs: 60_000 });
    const attackers: Attacker[] = [];
    try {
      attackers.push(await attack(srv.port, "127.0.0.1", burnRequest()));
      await waitFor("srv.server.stats().running === 1", () => srv.server.stats().running === 1, { timeoutMs: 10_000 });
      for (let i = 0; i < 2; i++) attackers.push(await attack(srv.port, "127.0.0.1", burnRequest()));
      await waitFor("srv.server.stats().queued === 2", () => srv.server.stats().queued === 2, { timeoutMs: 10_000 });
      const innocent = exchange(srv.port, hello(), { localAddress: "127.0.0.2" });
      await waitFor("srv.server.stats().queued === 3", () => srv.server.stats().queued === 3, { timeoutMs: 10_000 });
      // The attacker's running job ends (its client goes away): the slot is the innocent's.
      attackers[0]!.socket.destroy();
      expect(decodeResponse((await innocent).bytes, 1).status).toBe(0);
      await waitFor("srv.jobs.length >= 2", () => srv.jobs.length >= 2);
      const order = srv.jobs.map((j) => `${j.client.split(":")[0]} ${j.result}`);
      expect(order).toEqual(["127.0.0.1 CLI_DISCONN", "127.0.0.2 COMPILE_OK"]);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });
});

describe("A7: addresses at their connection caps cannot lock the others out", () => {
  it("at --max-connections, the newcomer takes the place of a connection still without its command line", async () => {
    const srv = await startTestServer({
      maxConnections: 8,
      maxConnectionsPerClient: 4,
      headerTimeoutMs: 60_000,
      readTimeoutMs: 60_000,
    });
    const attackers: Attacker[] = [];
    try {
      for (const address of ["127.0.0.2", "127.0.0.3"]) {
        for (let i = 0; i < 4; i++)
          attackers.push(await attack(srv.port, address, Buffer.from("DIST00000001ARGC00000003")));
      }
      await waitFor("srv.server.stats().connections === 8", () => srv.server.stats().connections === 8);
      for (let round = 0; round < 3; round++) {
        expect(await ok(srv.port, hello(), "127.0.0.9")).toBe(0);
        // As in the report, the attacker opens a new connection as soon as one is closed.
        for (const gone of attackers.filter((a) => a.isClosed())) {
          attackers.splice(attackers.indexOf(gone), 1);
          attackers.push(await attack(srv.port, gone.address, Buffer.from("DIST00000001ARGC00000003")));
        }
        await waitFor("srv.server.stats().connections === 8", () => srv.server.stats().connections === 8);
      }
      await waitFor("srv.jobs.length >= 6", () => srv.jobs.length >= 6);
      const evicted = srv.jobs.filter((j) => /evicted: 8 connections open/.test(j.reason ?? ""));
      expect(evicted).toHaveLength(3);
      expect(evicted.every((j) => j.client.startsWith("127.0.0.2:") || j.client.startsWith("127.0.0.3:"))).toBe(true);
      expect(srv.jobs.filter((j) => j.result === "COMPILE_OK")).toHaveLength(3);
      // The attacker's address at its own cap is still refused, and does not push anybody out.
      const again = await exchange(srv.port, hello(), { localAddress: "127.0.0.2" });
      expect(again.bytes.length).toBe(0);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("H5: connections that sent their command line and trickle DOTI's header are closed for a newcomer at the cap", async () => {
    // As in the report (4 addresses x 64 connections): the whole command line at once, then one
    // byte of DOTI's header now and then (under every idle deadline), re-opened when closed.
    const srv = await startTestServer({
      maxConnections: 8,
      maxConnectionsPerClient: 4,
      bodyStartTimeoutMs: 60_000,
      readTimeoutMs: 60_000,
    });
    const commandLine = Buffer.concat(
      encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c", "-o", "x.o"], source: Buffer.from("int x;\n") }),
    ).subarray(0, -"DOTI00000007int x;\n".length);
    const opening = Buffer.concat([commandLine, Buffer.from("D")]);
    const attackers: Attacker[] = [];
    try {
      for (const address of ["127.0.0.2", "127.0.0.3"]) {
        for (let i = 0; i < 4; i++) attackers.push(await attack(srv.port, address, opening));
      }
      await waitFor("srv.server.stats().connections === 8", () => srv.server.stats().connections === 8);
      for (const a of attackers) a.socket.write("O");
      await sleep(300); // the server has read every command line
      for (let round = 0; round < 3; round++) {
        expect(await ok(srv.port, hello(), "127.0.0.9")).toBe(0);
        for (const gone of attackers.filter((a) => a.isClosed())) {
          attackers.splice(attackers.indexOf(gone), 1);
          attackers.push(await attack(srv.port, gone.address, opening));
        }
        await waitFor("srv.server.stats().connections === 8", () => srv.server.stats().connections === 8);
        await sleep(300);
      }
      await waitFor("srv.jobs.length >= 6", () => srv.jobs.length >= 6);
      const evicted = srv.jobs.filter((j) =>
        /evicted: 8 connections open \(--max-connections\) and this one had not started its request body/.test(
          j.reason ?? "",
        ),
      );
      expect(evicted).toHaveLength(3);
      expect(evicted.every((j) => j.client.startsWith("127.0.0.2:") || j.client.startsWith("127.0.0.3:"))).toBe(true);
      expect(srv.jobs.filter((j) => j.result === "COMPILE_OK")).toHaveLength(3);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("H5: a connection that sent its command line but not DOTI's header within its body-start deadline is dropped; one that pauses less (distcc preprocessing) compiles", async () => {
    const srv = await startTestServer({ bodyStartTimeoutMs: 1000, readTimeoutMs: 60_000, minRequestRate: 0 });
    const request = Buffer.concat(
      encodeRequest({ version: 1, argv: ["gcc", "-c", "x.c", "-o", "x.o"], source: Buffer.from("int x;\n") }),
    );
    const commandLine = request.subarray(0, -"DOTI00000007int x;\n".length);
    try {
      // A real client's pause: the command line, its preprocessor (here 300 ms), then the body.
      const real = await attack(srv.port, "127.0.0.9", commandLine);
      const answer: Buffer[] = [];
      real.socket.on("data", (d: Buffer) => answer.push(d));
      await sleep(300);
      real.socket.write(request.subarray(commandLine.length));
      await real.closed;
      expect(decodeResponse(Buffer.concat(answer), 1).status).toBe(0);
      // The attacker: a byte of the header every 200 ms, never the whole header in time.
      const slow = await attack(srv.port, "127.0.0.2", commandLine);
      let at = commandLine.length;
      const drip = setInterval(() => slow.socket.write(request.subarray(at, ++at)), 200);
      await slow.closed;
      clearInterval(drip);
      expect(srv.jobs.find((j) => j.client.startsWith("127.0.0.2:"))?.reason).toMatch(
        /client sent no complete DOTI header within 1000 ms of its command line/,
      );
    } finally {
      await srv.stop();
    }
  });

  it("when every connection has started its request body, the newcomer is refused (nothing cheap to close)", async () => {
    const srv = await startTestServer({
      jobs: 1,
      maxConnections: 2,
      maxConnectionsPerClient: 2,
      jobLifetimeMs: 60_000,
    });
    const attackers: Attacker[] = [];
    try {
      for (let i = 0; i < 2; i++) attackers.push(await attack(srv.port, "127.0.0.2", burnRequest()));
      await waitFor(
        "srv.server.stats().running === 1 && srv.server.stats().queued === 1",
        () => srv.server.stats().running === 1 && srv.server.stats().queued === 1,
        { timeoutMs: 10_000 },
      );
      expect((await exchange(srv.port, hello(), { localAddress: "127.0.0.9" })).bytes.length).toBe(0);
      expect(srv.jobs.at(-1)?.reason).toMatch(
        /2 connections already open, all of them past the start of their request body/,
      );
      expect(attackers.some((a) => a.isClosed())).toBe(false);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });
});

describe("A8: slow requests cannot hold the memory budget", () => {
  it("requests that stopped sending are dropped to make room for a fresh 2 MB compile; memory stays within the budget", async () => {
    const srv = await startTestServer({ maxRequestMemory: 16 << 20, memoryEvictIdleMs: 200, readTimeoutMs: 60_000 });
    const attackers: Attacker[] = [];
    const memory = watchMemory(srv);
    try {
      // Three addresses, each far under every per-client cap, hold 15 of the 16 MiB: each sends a
      // 5 MiB body but its last byte.
      for (const address of ["127.0.0.10", "127.0.0.11", "127.0.0.12"]) {
        const request = sized(5 << 20, `a${address.split(".")[3]}`);
        attackers.push(await attack(srv.port, address, request.subarray(0, request.length - 1)));
      }
      await waitFor(
        "(srv.server.stats().memory?.used ?? 0) >= 15 << 20",
        () => (srv.server.stats().memory?.used ?? 0) >= 15 << 20,
      );
      await sleep(400); // the attackers are idle now (longer than memoryEvictIdleMs)
      expect(await ok(srv.port, sized(2 << 20, "innocent"), "127.0.0.99")).toBe(0);
      expect(attackers.filter((a) => a.isClosed()).length).toBeGreaterThanOrEqual(1);
      const dropped = srv.jobs.filter((j) => j.result === "REJ_OVERLOAD");
      expect(dropped.length).toBeGreaterThanOrEqual(1);
      expect(
        dropped.every((j) => /memory budget \(--max-request-memory\): no progress for \d+ ms/.test(j.reason ?? "")),
      ).toBe(true);
      expect(memory.stop()).toBeLessThanOrEqual(16 << 20);
    } finally {
      memory.stop();
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("one address holds at most its share of the budget: its next request is dropped while another address compiles", async () => {
    const srv = await startTestServer({
      maxRequestMemory: 16 << 20,
      maxRequestMemoryPerClient: 8 << 20,
      readTimeoutMs: 60_000,
    });
    const attackers: Attacker[] = [];
    try {
      const request = sized(5 << 20, "a");
      attackers.push(await attack(srv.port, "127.0.0.10", request.subarray(0, request.length - 1)));
      await waitFor(
        "(srv.server.stats().memory?.used ?? 0) >= 5 << 20",
        () => (srv.server.stats().memory?.used ?? 0) >= 5 << 20,
      );
      attackers.push(await attack(srv.port, "127.0.0.10", request.subarray(0, request.length - 1)));
      await attackers[1]!.closed;
      expect(srv.jobs.at(-1)?.reason).toMatch(/memory budget/);
      expect(attackers[0]!.isClosed()).toBe(false);
      expect(await ok(srv.port, sized(2 << 20, "innocent"), "127.0.0.99")).toBe(0);
    } finally {
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("a request whose body trickles under --min-request-rate is dropped, whatever its idle deadline", async () => {
    const srv = await startTestServer({ minRequestRate: 64 << 10, requestRateWindowMs: 300, readTimeoutMs: 60_000 });
    try {
      const request = sized(1 << 20, "slow");
      // The command line and the first 100 KB at once, then one byte every 50 ms (under the idle deadline).
      const slow = await attack(srv.port, "127.0.0.10", request.subarray(0, 100_000));
      let at = 100_000;
      const drip = setInterval(() => {
        if (!slow.isClosed() && at < request.length - 1) slow.socket.write(request.subarray(at, ++at));
      }, 50);
      expect(await ok(srv.port, hello(), "127.0.0.99")).toBe(0);
      await slow.closed;
      clearInterval(drip);
      const job = srv.jobs.find((j) => j.client.startsWith("127.0.0.10:"));
      expect(job?.reason).toMatch(/under the minimum rate of 19661 bytes per 300 ms \(--min-request-rate\)/);
      expect(srv.server.stats().memory?.used).toBe(0);
    } finally {
      await srv.stop();
    }
  });
});

describe("H6: complete requests waiting for a slot cannot pin the memory budget", () => {
  it("a protocol-1 body is counted once, not as its wire bytes and again as the body", async () => {
    const srv = await startTestServer({ jobs: 1, jobLifetimeMs: 60_000 });
    try {
      const running = exchange(srv.port, burnRequest(), { localAddress: "127.0.0.2" });
      await waitFor("srv.server.stats().running === 1", () => srv.server.stats().running === 1, { timeoutMs: 10_000 });
      const before = srv.server.stats().memory?.used ?? 0;
      const request = sized(8 << 20, "waiting");
      const waiting = exchange(srv.port, request, { localAddress: "127.0.0.3" });
      await waitFor("srv.server.stats().queued === 1", () => srv.server.stats().queued === 1, { timeoutMs: 10_000 });
      const held = (srv.server.stats().memory?.used ?? 0) - before;
      expect(held).toBeGreaterThanOrEqual(request.length);
      expect(held).toBeLessThan(request.length + (64 << 10));
      expect(decodeResponse((await waiting).bytes, 1).status).toBe(0);
      await running;
    } finally {
      await srv.stop();
    }
  });

  it("the waiting requests of the address holding the most are dropped for a newcomer, answered busy (STAT 114), and the newcomer compiles", async () => {
    const srv = await startTestServer({ jobs: 1, maxRequestMemory: 64 << 20, jobLifetimeMs: 60_000 });
    const memory = watchMemory(srv);
    try {
      const running = exchange(srv.port, burnRequest(), { localAddress: "127.0.0.2" });
      await waitFor("srv.server.stats().running === 1", () => srv.server.stats().running === 1, { timeoutMs: 10_000 });
      // As in the report (five addresses, two complete 100 MiB requests each, slots busy), scaled:
      // five addresses, two 6 MiB requests each, 60 of the 64 MiB.
      const pinned: Promise<{ address: string; bytes: Buffer }>[] = [];
      for (const address of ["127.0.0.40", "127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"]) {
        for (let i = 0; i < 2; i++) {
          const request = sized(6 << 20, `p${address.split(".")[3]}_${i}`);
          pinned.push(
            exchange(srv.port, request, { localAddress: address }).then((r) => ({ address, bytes: r.bytes })),
          );
          await waitFor("srv.server.stats().queued grows", () => srv.server.stats().queued === pinned.length, {
            timeoutMs: 10_000,
          });
        }
      }
      // The newcomer's 8 MiB need room.
      const innocent = exchange(srv.port, sized(8 << 20, "innocent"), { localAddress: "127.0.0.50" });
      expect(decodeResponse((await innocent).bytes, 1).status).toBe(0);
      const answers = await Promise.all(pinned);
      const statuses = answers.map((a) => decodeResponse(a.bytes, 1).status);
      // Every pinned request is answered: compiled, or "busy" (the client compiles it itself); none reset.
      expect(statuses.every((st) => st === 0 || st === 114 << 8)).toBe(true);
      const busy = srv.jobs.filter((j) => j.result === "REJ_OVERLOAD");
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(
        busy.every((j) =>
          /waiting for a compile slot with \d+ bytes while 127\.0\.0\.4\d held the most waiting/.test(j.reason ?? ""),
        ),
      ).toBe(true);
      expect(memory.stop()).toBeLessThanOrEqual(64 << 20);
      await running;
    } finally {
      memory.stop();
      await srv.stop();
    }
  });
});

describe("A11: answers to clients that do not read are counted and bounded", () => {
  // Objects bigger than what loopback's kernel buffers take from a client that reads nothing
  // (tcp_rmem may grow to 32 MiB here, plus 4 MiB of send buffer): the rest stays with the server.
  const OBJECT_MIB = 48;

  it("unread answers count in the budget, are dropped to make room for a newcomer, and memory stays within the budget", async () => {
    const srv = await startTestServer({
      maxRequestMemory: 112 << 20,
      memoryEvictIdleMs: 200,
      compilerLimits: { fileSizeMiB: 64 },
    });
    const attackers: Attacker[] = [];
    const memory = watchMemory(srv);
    try {
      for (const address of ["127.0.0.30", "127.0.0.31"])
        attackers.push(await attack(srv.port, address, fill(OBJECT_MIB), { read: false }));
      // Both objects are compiled and waiting for their readers: counted.
      await waitFor(
        "(srv.server.stats().memory?.used ?? 0) >= 2 * OBJECT_MIB << 20",
        () => (srv.server.stats().memory?.used ?? 0) >= (2 * OBJECT_MIB) << 20,
        { timeoutMs: 30_000 },
      );
      expect(srv.server.stats().running).toBe(0);
      await sleep(400); // nothing more of the answers is taken (longer than memoryEvictIdleMs)
      // 20 MiB: with the two answers (96 MiB), over the 112.
      expect(await ok(srv.port, sized(20 << 20, "innocent"), "127.0.0.40")).toBe(0);
      await waitFor("srv.jobs.length >= 2", () => srv.jobs.length >= 2);
      const dropped = srv.jobs.filter((j) => j.client.startsWith("127.0.0.3"));
      expect(dropped).toHaveLength(1);
      expect(dropped[0]?.result).toBe("CLI_DISCONN");
      expect(dropped[0]?.reason).toMatch(
        /could not send the response: dropped to make room in the server's memory budget/,
      );
      expect(memory.stop()).toBeLessThanOrEqual(112 << 20);
    } finally {
      memory.stop();
      for (const a of attackers) a.socket.destroy();
      await srv.stop();
    }
  });

  it("a client that reads nothing of its answer is dropped after the send deadline and its memory given back", async () => {
    const srv = await startTestServer({ sendTimeoutMs: 500, compilerLimits: { fileSizeMiB: 64 } });
    let silent: Attacker | undefined;
    try {
      silent = await attack(srv.port, "127.0.0.30", fill(OBJECT_MIB), { read: false });
      await waitFor("srv.jobs.length >= 1", () => srv.jobs.length >= 1, { timeoutMs: 30_000 });
      const job = srv.jobs[0];
      expect(job?.client).toMatch(/^127\.0\.0\.30:/);
      expect(job?.result).toBe("CLI_DISCONN");
      expect(job?.reason).toMatch(/the client read nothing of its answer for 500 ms/);
      expect(srv.server.stats().memory?.used).toBe(0);
      expect(await ok(srv.port, hello(), "127.0.0.40")).toBe(0);
    } finally {
      silent?.socket.destroy();
      await srv.stop();
    }
  });

  it("an answer the budget cannot hold is not kept: the client is told the server is busy (STAT 114) and compiles it itself", async () => {
    const srv = await startTestServer({ maxRequestMemory: 32 << 20, compilerLimits: { fileSizeMiB: 64 } });
    try {
      const r = decodeResponse((await exchange(srv.port, fill(40), { localAddress: "127.0.0.30" })).bytes, 1);
      expect(r.status).toBe(114 << 8);
      expect(Buffer.from(r.stderr).toString()).toMatch(
        /the server's memory cannot hold this answer \(41943\d\d\d bytes\) now: .*--max-client-request-memory.*; compile it locally/,
      );
      expect(r.object.length).toBe(0);
      await waitFor("srv.jobs.length >= 1", () => srv.jobs.length >= 1);
      expect(srv.jobs[0]?.result).toBe("REJ_OVERLOAD");
      expect(srv.server.stats().memory?.used).toBe(0);
      expect(await ok(srv.port, hello(), "127.0.0.40")).toBe(0);
    } finally {
      await srv.stop();
    }
  });
});
