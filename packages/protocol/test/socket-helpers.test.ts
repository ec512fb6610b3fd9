// The socket helpers against each other, against the real distcc client, and on broken peers.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, makeTempDir, waitFor } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  concatChunks,
  DistccConnectionError,
  DistccProtocolError,
  encodeResponse,
  exitedStatus,
  readCompileRequest,
  sendCompileJob,
  sendCompileRequest,
  writeCompileResponse,
  type CompileRequest,
  type ProtocolVersion,
} from "../src/index.js";
import { listenOnLoopback } from "./loopback-server.js";

const run = promisify(execFile);
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const listen = (onSocket: (socket: Socket) => void) => listenOnLoopback(onSocket, cleanups);

const request = (version: ProtocolVersion): CompileRequest => ({
  version,
  argv: ["x86_64-linux-gnu-gcc", "-c", "x.c", "-o", "x.o"],
  source: new TextEncoder().encode("int x(void) { return 42; }\n".repeat(500)),
});

describe("sendCompileRequest + readCompileRequest + writeCompileResponse", () => {
  for (const version of [1, 2] as const) {
    for (const compression of ["lzo", "lz4"] as const) {
      it(`round-trips a protocol ${version} job (${compression}); the client never half-closes`, async () => {
        const seen: { argv?: string[]; halfClosedEarly: boolean } = { halfClosedEarly: false };
        const { port } = await listen(async (socket) => {
          const req = await readCompileRequest(socket, {
            compression,
            onArgv: (argv) => {
              seen.argv = argv;
            },
          });
          socket.once("end", () => (seen.halfClosedEarly = true));
          socket.resume();
          await new Promise((r) => setTimeout(r, 20));
          await writeCompileResponse(
            socket,
            {
              version: req.version,
              status: 0,
              stderr: new TextEncoder().encode("warning: x"),
              stdout: new Uint8Array(0),
              object: req.source!.subarray(0, 1000),
            },
            { compression },
          );
        });
        const res = await sendCompileRequest({ host: "127.0.0.1", port }, request(version), { compression });
        expect(seen.argv).toEqual(request(version).argv);
        expect(seen.halfClosedEarly).toBe(false);
        expect(res.status).toBe(0);
        expect(new TextDecoder().decode(res.stderr)).toBe("warning: x");
        expect(Buffer.from(res.object).equals(Buffer.from(request(version).source!.subarray(0, 1000)))).toBe(true);
      });
    }
  }

  it("serverMs is the server's own time: request out to first answer byte, not the whole exchange", async () => {
    const { port } = await listen(async (socket) => {
      const req = await readCompileRequest(socket, {});
      await new Promise((r) => setTimeout(r, 150)); // "compiling"
      const response = {
        version: req.version,
        status: 0,
        stderr: new Uint8Array(0),
        stdout: new Uint8Array(0),
        object: new Uint8Array(10),
      };
      // The answer's last bytes come 200 ms after its first: the client's reading time, not the server's.
      const bytes = concatChunks(encodeResponse(response));
      socket.write(bytes.subarray(0, 8));
      await new Promise((r) => setTimeout(r, 200));
      socket.end(bytes.subarray(8));
    });
    const started = performance.now();
    const exchange = await sendCompileJob({ host: "127.0.0.1", port }, request(2));
    const wall = performance.now() - started;
    expect(exchange.response.status).toBe(0);
    expect(exchange.serverMs).toBeGreaterThanOrEqual(140);
    expect(exchange.serverMs!).toBeLessThan(wall - 150);
  });

  it("a server may read the first bytes itself and hand them over as initialData", async () => {
    const { port } = await listen((socket) => {
      socket.once("data", async (first: Buffer) => {
        socket.pause();
        const req = await readCompileRequest(socket, { initialData: first });
        await writeCompileResponse(socket, {
          version: req.version,
          status: exitedStatus(1),
          stderr: new TextEncoder().encode(req.argv.join(" ")),
          stdout: new Uint8Array(0),
          object: new Uint8Array(0),
        });
      });
    });
    const res = await sendCompileRequest({ host: "127.0.0.1", port }, request(2));
    expect(res.status).toBe(0x100);
    expect(new TextDecoder().decode(res.stderr)).toBe(request(2).argv.join(" "));
    expect(res.object.length).toBe(0);
  });

  it("accepts a socket as the target (connecting or connected), and refuses a closed one", async () => {
    const { port } = await listen(async (socket) => {
      const req = await readCompileRequest(socket);
      await writeCompileResponse(socket, {
        version: req.version,
        status: 0,
        stderr: new Uint8Array(0),
        stdout: new Uint8Array(0),
        object: req.source!,
      });
    });
    const { connect } = await import("node:net");
    const connecting = connect({ host: "127.0.0.1", port });
    const res = await sendCompileRequest(connecting, request(2));
    expect(res.object.length).toBe(request(2).source!.length);
    expect(connecting.destroyed).toBe(true);
    const closed = connect({ host: "127.0.0.1", port });
    closed.destroy();
    await expect(sendCompileRequest(closed, request(1))).rejects.toMatchObject({ code: "DISTCC_ERR_CLOSED" });
  });

  it("onArgv may refuse the job before the source is read", async () => {
    const result = new Promise<unknown>((resolve) => {
      void listen(async (socket) => {
        try {
          await readCompileRequest(socket, {
            onArgv: async () => {
              await new Promise((r) => setTimeout(r, 5));
              throw new Error("not distributable");
            },
          });
        } catch (err) {
          resolve(err);
          socket.destroy();
        }
      }).then(({ port }) => sendCompileRequest({ host: "127.0.0.1", port }, request(2)).catch(() => undefined));
    });
    expect(await result).toMatchObject({ message: "not distributable" });
  });

  it("no answer, connection refused, timeout, truncated and bad responses are typed", async () => {
    const closer = await listen((socket) => socket.destroy());
    await expect(sendCompileRequest({ host: "127.0.0.1", port: closer.port }, request(1))).rejects.toMatchObject({
      code: "DISTCC_ERR_NO_ANSWER",
    });

    const nobody = await freePort();
    const refused = sendCompileRequest({ host: "127.0.0.1", port: nobody }, request(1));
    await expect(refused).rejects.toBeInstanceOf(DistccConnectionError);
    await expect(refused).rejects.toMatchObject({ code: "DISTCC_ERR_CONNECT" });

    const silent = await listen((socket) => socket.resume());
    await expect(
      sendCompileRequest({ host: "127.0.0.1", port: silent.port }, request(1), { ioTimeoutMs: 200 }),
    ).rejects.toMatchObject({ code: "DISTCC_ERR_TIMEOUT" });

    const full = concatChunks(
      encodeResponse({
        version: 1,
        status: 0,
        stderr: new Uint8Array(0),
        stdout: new Uint8Array(0),
        object: new Uint8Array(50),
      }),
    );
    const cut = await listen((socket) => socket.end(full.subarray(0, 40)));
    const truncated = sendCompileRequest({ host: "127.0.0.1", port: cut.port }, request(1));
    await expect(truncated).rejects.toBeInstanceOf(DistccProtocolError);
    await expect(truncated).rejects.toMatchObject({ code: "DISTCC_ERR_TRUNCATED" });

    const wrongVersion = await listen((socket) => socket.end(full));
    await expect(sendCompileRequest({ host: "127.0.0.1", port: wrongVersion.port }, request(2))).rejects.toMatchObject({
      code: "DISTCC_ERR_BAD_VERSION",
    });

    const ac = new AbortController();
    const slow = await listen((socket) => socket.resume());
    const aborted = sendCompileRequest({ host: "127.0.0.1", port: slow.port }, request(1), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(aborted).rejects.toMatchObject({ code: "DISTCC_ERR_ABORTED" });
  });

  it("onConnected tells a connection that was made from one that never was; a reset before any byte keeps its cause", async () => {
    let calls = 0;
    const ac = new AbortController();
    const slow = await listen((socket) => socket.resume());
    const stopped = sendCompileRequest({ host: "127.0.0.1", port: slow.port }, request(1), {
      signal: ac.signal,
      onConnected: () => void calls++,
    });
    await waitFor("the connection to be made", () => calls > 0);
    ac.abort();
    await expect(stopped).rejects.toMatchObject({ code: "DISTCC_ERR_ABORTED" });
    expect(calls).toBe(1);

    let refusedCalls = 0;
    const refused = sendCompileRequest({ host: "127.0.0.1", port: await freePort() }, request(1), {
      onConnected: () => void refusedCalls++,
    });
    await expect(refused).rejects.toMatchObject({ code: "DISTCC_ERR_CONNECT" });
    expect(refusedCalls).toBe(0);

    // What a server outside whose --allow we are does (distccd and ours): accept, then reset.
    const resetting = await listen((socket) => socket.resetAndDestroy());
    const reset = sendCompileRequest({ host: "127.0.0.1", port: resetting.port }, request(1));
    await expect(reset).rejects.toSatisfy(
      (e: DistccConnectionError) => (e.cause as NodeJS.ErrnoException | undefined)?.code === "ECONNRESET",
    );
  });

  it("readCompileRequest reports EOF mid-request as DISTCC_ERR_TRUNCATED and idleness as DISTCC_ERR_TIMEOUT", async () => {
    const errors: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      void listen(async (socket) => {
        try {
          await readCompileRequest(socket, { ioTimeoutMs: 200 });
        } catch (err) {
          errors.push(err);
          socket.destroy();
          if (errors.length === 2) resolve();
        }
      }).then(async ({ port }) => {
        const { connect } = await import("node:net");
        const a = connect({ port, host: "127.0.0.1" }, () => a.end("DIST00000001ARGC0000"));
        const b = connect({ port, host: "127.0.0.1" }, () => b.write("DIST00000001"));
        cleanups.push(() => {
          a.destroy();
          b.destroy();
        });
      });
    });
    await done;
    const codes = errors.map((e) => (e as { code: string }).code).sort();
    expect(codes).toEqual(["DISTCC_ERR_TIMEOUT", "DISTCC_ERR_TRUNCATED"]);
  });
});

describe("the real distcc client talks to a server built on these helpers", () => {
  it("distcc ,lzo and plain hosts compile through readCompileRequest/writeCompileResponse", async () => {
    const work = makeTempDir("protocol-client-");
    cleanups.push(() => work.remove());
    const src = join(work.path, "add.c");
    writeFileSync(src, "int add(int a, int b) { return a + b * 3; }\n");
    chmodSync(src, 0o644);
    const jobs: CompileRequest[] = [];
    const { port } = await listen(async (socket) => {
      const req = await readCompileRequest(socket);
      jobs.push(req);
      // A minimal server: compile the .i with the named compiler (a test, so we trust argv[0]).
      const dir = makeTempDir("protocol-server-job-");
      try {
        writeFileSync(join(dir.path, "in.i"), req.source!);
        const argv = req.argv.slice(1).map((a) => (a.endsWith(".c") ? "in.i" : a === "add.o" ? "out.o" : a));
        let status = 0;
        let stderr = "";
        try {
          await run(req.argv[0]!, argv, { cwd: dir.path });
        } catch (err) {
          status = exitedStatus((err as { code: number }).code);
          stderr = (err as { stderr: string }).stderr;
        }
        const object = status === 0 ? readFileSync(join(dir.path, "out.o")) : new Uint8Array(0);
        await writeCompileResponse(socket, {
          version: req.version,
          status,
          stderr: new TextEncoder().encode(stderr),
          stdout: new Uint8Array(0),
          object,
        });
      } finally {
        dir.remove();
      }
    });
    for (const suffix of ["", ",lzo"]) {
      const out = join(work.path, suffix ? "add-lzo.o" : "add-plain.o");
      await run("distcc", ["gcc", "-O2", "-c", "add.c", "-o", "add.o"], {
        cwd: work.path,
        env: {
          ...process.env,
          DISTCC_HOSTS: `127.0.0.1:${port}${suffix}`,
          DISTCC_FALLBACK: "0",
          DISTCC_DIR: work.path,
          DISTCC_SKIP_LOCAL_RETRY: "1",
        },
      });
      renameSync(join(work.path, "add.o"), out);
      expect(existsSync(out)).toBe(true);
      expect(readFileSync(out).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    }
    expect(jobs.map((j) => j.version)).toEqual([1, 2]);
    expect(jobs[0]!.argv).toEqual(["x86_64-linux-gnu-gcc", "-O2", "-c", "add.c", "-o", "add.o"]);
  });
});
