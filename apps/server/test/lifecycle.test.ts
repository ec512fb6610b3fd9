import { writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { makeTempDir, waitFor } from "@x/testkit";
import { encodeRequest } from "@x/distcc-protocol";
import { describe, expect, it } from "vitest";
import { exchange, jobAfter, startTestServer } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

const hello = (): Buffer => capture("p1-hello-c", "c2s");

describe("job lifecycle", () => {
  it("--job-lifetime kills a compile that runs too long: STAT 118 << 8, COMPILE_TIMEOUT, folder removed", async () => {
    const srv = await startTestServer({ jobLifetimeMs: 1 });
    try {
      const r = await exchange(srv.port, hello());
      const response = decodeResponse(r.bytes, 1);
      expect(response.status).toBe(118 << 8);
      expect(Buffer.from(response.stderr).toString()).toContain("--job-lifetime");
      expect((await jobAfter(srv, 0)).result).toBe("COMPILE_TIMEOUT");
      expect(await srv.leftovers()).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it("a full queue refuses at once (REJ_OVERLOAD, no answer) instead of waiting without bound", async () => {
    const srv = await startTestServer({ jobs: 1, maxQueue: 0 });
    try {
      const [a, b, c] = await Promise.all([
        exchange(srv.port, hello()),
        exchange(srv.port, hello()),
        exchange(srv.port, hello()),
      ]);
      const answered = [a, b, c].filter((r) => r.bytes.length > 0);
      expect(answered.length).toBeGreaterThanOrEqual(1);
      expect(answered.length).toBeLessThan(3);
      for (const r of answered) expect(decodeResponse(r.bytes, 1).status).toBe(0);
      expect(srv.server.stats().results.REJ_OVERLOAD).toBe(3 - answered.length);
      expect(await srv.leftovers()).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it("close() lets a running job finish and refuses new connections", async () => {
    const srv = await startTestServer({ jobs: 1 });
    const running = exchange(srv.port, hello());
    // Wait until the server has the whole request (a job is running or queued).
    await waitFor("the job to be running", () => srv.server.stats().running > 0, { intervalMs: 5 });
    const closing = srv.server.close({ graceMs: 10_000 });
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ port: srv.port, host: "127.0.0.1" });
      s.on("connect", () => {
        s.destroy();
        resolve("connected");
      });
      s.on("error", (e) => resolve((e as NodeJS.ErrnoException).code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    const response = decodeResponse((await running).bytes, 1);
    expect(response.status).toBe(0);
    await closing;
    expect(await srv.leftovers()).toEqual([]);
    await srv.stop();
  });

  it("a client that goes away while queued frees its place (CLI_DISCONN) and leaves nothing", async () => {
    const srv = await startTestServer({ jobs: 1, maxQueue: 4 });
    try {
      const first = exchange(srv.port, hello());
      // The second client leaves once the server has its whole request queued behind the first.
      const quitter = connect({ port: srv.port, host: "127.0.0.1" }, () => quitter.write(hello()));
      quitter.on("error", () => {});
      await waitFor("the second request to be queued", () => srv.server.stats().queued === 1, { intervalMs: 5 });
      quitter.destroy();
      expect(decodeResponse((await first).bytes, 1).status).toBe(0);
      await waitFor("both connections to be recorded", () => srv.jobs.length >= 2, { intervalMs: 10 });
      expect(srv.jobs.map((j) => j.result).sort()).toEqual(["CLI_DISCONN", "COMPILE_OK"]);
      expect(srv.server.stats().queued).toBe(0);
      expect(await srv.leftovers()).toEqual([]);
    } finally {
      await srv.stop();
    }
  });

  it("IPv6: serves ::1 when allowed, refuses it when only 127.0.0.1 is", async () => {
    const v6 = await startTestServer({ listen: "::1", allow: ["::1/128"] });
    const v4only = await startTestServer({ listen: "::1", allow: ["127.0.0.1"] });
    try {
      const ok = await exchange(v6.port, hello(), { host: "::1" });
      expect(decodeResponse(ok.bytes, 1).status).toBe(0);
      expect(v6.jobs.at(-1)?.client).toMatch(/^::1:\d+$/);
      const refused = await exchange(v4only.port, hello(), { host: "::1" });
      expect(refused.bytes.length).toBe(0);
      expect((await jobAfter(v4only, 0)).reason).toMatch(/--allow/);
    } finally {
      await v6.stop();
      await v4only.stop();
    }
  });

  it("a server-wide memory budget: a request that would exceed it is dropped, the budget is given back", async () => {
    const srv = await startTestServer({ maxRequestMemory: 1 << 20 });
    try {
      const argv = ["x86_64-linux-gnu-gcc", "-c", "big.c", "-o", "big.o"];
      const big = encodeRequest({ version: 1, argv, source: Buffer.alloc(2 << 20, 0x20) });
      const r = await exchange(srv.port, big);
      expect(r.bytes.length).toBe(0);
      const job = await jobAfter(srv, 0);
      expect(job.result).toBe("REJ_OVERLOAD");
      expect(job.reason).toMatch(/memory budget/);
      for (let i = 0; i < 3; i++) expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
    } finally {
      await srv.stop();
    }
  });

  it("an embedder's onJob callback that throws does not take the server down", async () => {
    const srv = await startTestServer({
      onJob: () => {
        throw new Error("embedder bug");
      },
    });
    try {
      for (let i = 0; i < 2; i++) expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
      expect(srv.server.stats().results.COMPILE_OK).toBe(2);
    } finally {
      await srv.stop();
    }
  });

  it("DISTCC_CMDLIST: only the listed compilers run", async () => {
    const dir = makeTempDir("cmdlist-");
    writeFileSync(join(dir.path, "list"), "/usr/bin/x86_64-linux-gnu-gcc\n");
    const srv = await startTestServer({ whitelist: undefined, cmdList: { file: join(dir.path, "list") } });
    try {
      expect(decodeResponse((await exchange(srv.port, hello())).bytes, 1).status).toBe(0);
      const cpp = decodeResponse((await exchange(srv.port, capture("p1-hello-cpp", "c2s"))).bytes, 1);
      expect(cpp.status).toBe(110 << 8);
      expect(Buffer.from(cpp.stderr).toString()).toContain("not listed in DISTCC_CMDLIST");
    } finally {
      await srv.stop();
      dir.remove();
    }
  });
});
