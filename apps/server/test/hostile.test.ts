import { existsSync } from "node:fs";
import { connect } from "node:net";
import { encodeHeader, encodeRequest, lzo1xCompress, type CompileRequest } from "@x/distcc-protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exchange, jobAfter, startTestServer, type TestServer } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

let srv: TestServer;

beforeAll(async () => {
  srv = await startTestServer({ readTimeoutMs: 400, maxConnections: 64, limits: { maxDecompressed: 8 << 20 } });
});
afterAll(() => srv?.stop());

/** After every hostile input: the server still answers a good request and left no file behind. */
afterEach(async () => {
  const good = await exchange(srv.port, capture("p1-hello-c", "c2s"));
  const response = decodeResponse(good.bytes, 1);
  expect(response.status).toBe(0);
  expect(response.object.length).toBeGreaterThan(1000);
  expect(await srv.leftovers()).toEqual([]);
});

const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe("the hand-made refusal captures (hc-*)", () => {
  it.each(["hc-bad-magic", "hc-version-4", "hc-not-distributable"])(
    "%s: no answer at all, as distccd",
    async (name) => {
      const before = srv.jobs.length;
      const r = await exchange(srv.port, capture(name, "c2s"));
      expect(r.bytes.length).toBe(0);
      expect((await jobAfter(srv, before)).result).toMatch(/REJ_BAD_REQ|OTHER/);
      expect((await jobAfter(srv, before)).reason).toBeTruthy();
    },
  );

  it.each([
    "hc-uppercase-hex",
    "hc-p2-lzo1x-999",
    "hc-p2-literal-only-lzo",
    "hc-abs-compiler-usr-bin",
    "hc-p2-empty-doti",
  ])("%s: compiled like distccd did", async (name) => {
    const version = capture(name, "c2s").subarray(4, 12).toString() === "00000002" ? 2 : 1;
    const mine = decodeResponse((await exchange(srv.port, capture(name, "c2s"))).bytes, version);
    const theirs = decodeResponse(capture(name, "s2c"), version);
    expect(mine.status).toBe(theirs.status);
    expect(mine.status).toBe(0);
    // An empty translation unit's object names the .i file itself (distccd's temp name is longer).
    if (name !== "hc-p2-empty-doti") expect(mine.object.length).toBe(theirs.object.length);
    expect(mine.object.length).toBeGreaterThan(0);
  });

  it("hc-version-0: served like protocol 1, DONE carries 0", async () => {
    const r = await exchange(srv.port, capture("hc-version-0", "c2s"));
    expect(r.bytes.subarray(0, 12).toString()).toBe("DONE00000000");
    expect(decodeResponse(r.bytes, 0).status).toBe(0);
  });

  it.each([
    ["hc-not-whitelisted", /tcc/, 110],
    ["hc-abs-compiler-other", /\/opt\/cross\/bin\/x86_64-linux-gnu-gcc/, 110],
    ["hc-compiler-missing", /no-such-compiler/, 110],
    ["hc-fplugin", /-fplugin=\/tmp\/evil\.so/, 101],
  ] as const)("%s: refused with the reason in SERR (distcc exit %s in STAT), nothing run", async (name, why, code) => {
    const before = srv.jobs.length;
    const r = await exchange(srv.port, capture(name, "c2s"));
    const response = decodeResponse(r.bytes, 1);
    expect(response.status).toBe(code << 8);
    expect(text(response.stderr)).toMatch(why);
    expect(response.object.length).toBe(0);
    expect((await jobAfter(srv, before)).compileMs).toBe(0);
    expect((await jobAfter(srv, before)).reason).toMatch(why);
  });

  it("hc-halfclose: the client's EOF kills the compile, STAT 107 << 8 like distccd", async () => {
    const before = srv.jobs.length;
    const r = await exchange(srv.port, capture("hc-halfclose", "c2s"), { halfClose: true });
    const response = decodeResponse(r.bytes, 1);
    expect(response.status).toBe(107 << 8);
    expect(text(response.stderr)).toContain("Client fd disconnected, killing job");
    expect((await jobAfter(srv, before)).result).toBe("CLI_DISCONN");
  });
});

describe("broken and hostile streams", () => {
  it("truncated requests get no answer (EOF anywhere = job abandoned)", async () => {
    const full = capture("p1-hello-c", "c2s");
    for (const cut of [1, 11, 12, 30, 0x89, 0x95, 5000, full.length - 1]) {
      const r = await exchange(srv.port, full.subarray(0, cut), { halfClose: true });
      expect(r.bytes.length, `cut at ${cut}`).toBe(0);
    }
  });

  it.each([
    ["ARGC ffffffff", "DIST00000001ARGCffffffff"],
    ["ARGV 7fffffff", "DIST00000001ARGC00000001ARGV7fffffff"],
    [
      "DOTI ffffffff",
      "DIST00000002ARGC00000005ARGV00000003gccARGV00000002-cARGV00000003a.cARGV00000002-oARGV00000003a.oDOTIffffffff",
    ],
    ["NFIL ffffffff", "DIST00000003CDIR00000001/ARGC00000003ARGV00000003gccARGV00000002-cARGV00000003a.cNFILffffffff"],
    ["bad hex", "DIST0000000gARGC"],
  ])("absurd length (%s): dropped at once, nothing allocated", async (_name, bytes) => {
    const before = srv.jobs.length;
    const r = await exchange(srv.port, Buffer.from(bytes));
    expect(r.bytes.length).toBe(0);
    expect((await jobAfter(srv, before)).reason).toMatch(/DISTCC_ERR_(LIMIT|BAD_HEX)/);
  });

  it("an LZO bomb (64 MiB of zeros in a few KB) is stopped at the decompression limit", async () => {
    const bomb = lzo1xCompress(new Uint8Array(64 << 20));
    expect(bomb.length).toBeLessThan(1 << 20);
    const argv = ["x86_64-linux-gnu-gcc", "-c", "bomb.c", "-o", "bomb.o"];
    const chunks = [
      encodeHeader("DIST", 2),
      encodeHeader("ARGC", argv.length),
      ...argv.flatMap((a) => [encodeHeader("ARGV", a.length), Buffer.from(a)]),
      encodeHeader("DOTI", bomb.length),
      bomb,
    ];
    const before = srv.jobs.length;
    const r = await exchange(srv.port, chunks);
    expect(r.bytes.length).toBe(0);
    expect((await jobAfter(srv, before)).reason).toMatch(/LIMIT|decompress/i);
  });

  it("corrupt LZO bodies (protocol 2 DOTI, protocol 3 FILE) are dropped without an answer", async () => {
    const argv = ["x86_64-linux-gnu-gcc", "-c", "bad.c", "-o", "bad.o"];
    const garbage = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56, 0x78, 0x9a]);
    const v2 = [
      encodeHeader("DIST", 2),
      encodeHeader("ARGC", argv.length),
      ...argv.flatMap((a) => [encodeHeader("ARGV", a.length), Buffer.from(a)]),
      encodeHeader("DOTI", garbage.length),
      garbage,
    ];
    const corruptV3 = encodeRequest({
      version: 3,
      cwd: "/src",
      argv,
      files: [{ kind: "file", name: "/src/bad.c", content: Buffer.alloc(0), compressed: garbage }],
    });
    for (const request of [v2, corruptV3]) {
      const before = srv.jobs.length;
      const r = await exchange(srv.port, request);
      expect(r.bytes.length).toBe(0);
      expect((await jobAfter(srv, before)).reason).toMatch(/LZO|lzo/);
    }
  });

  it("a stalled client is dropped after the read deadline, not kept forever", async () => {
    const before = srv.jobs.length;
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect({ port: srv.port, host: "127.0.0.1" }, () => socket.write("DIST00000001ARGC0000"));
      socket.on("error", () => {});
      socket.on("close", () => resolve(true));
    });
    expect(closed).toBe(true);
    expect((await jobAfter(srv, before)).reason).toMatch(/sent nothing for 400 ms/);
  });

  it("200 connections at once: over the cap they are closed, the rest time out, the server lives", async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<{ closed: Promise<void> }>((resolve) => {
            const socket = connect({ port: srv.port, host: "127.0.0.1" });
            const closed = new Promise<void>((done) => socket.on("close", () => done()));
            socket.on("error", () => {});
            socket.on("connect", () => socket.write("DIST00000001"));
            resolve({ closed });
          }),
      ),
    );
    await Promise.all(sockets.map((s) => s.closed));
    expect(srv.server.stats().results.REJ_OVERLOAD).toBeGreaterThan(0);
    expect(srv.server.stats().connections).toBe(0);
  });

  it("protocol 3 NAMEs that escape the job folder, or write through a LINK, are refused", async () => {
    const argv = ["x86_64-linux-gnu-gcc", "-c", "a.c", "-o", "a.o"];
    const attempts: CompileRequest["files"][] = [
      [{ kind: "file", name: "/tmp/../../../../tmp/distcc-escape-test.txt", content: Buffer.from("x") }],
      [
        { kind: "link", name: "/tmp/up", target: "../../../../../../../../tmp" },
        { kind: "file", name: "/tmp/up/distcc-escape-test.txt", content: Buffer.from("x") },
      ],
      [{ kind: "file", name: "relative/a.c", content: Buffer.from("int x;") }],
    ];
    for (const files of attempts) {
      const before = srv.jobs.length;
      const r = await exchange(srv.port, encodeRequest({ version: 3, cwd: "/src", argv, files }));
      expect(r.bytes.length).toBe(0);
      expect((await jobAfter(srv, before)).result).toBe("REJ_BAD_REQ");
    }
    expect(existsSync("/tmp/distcc-escape-test.txt")).toBe(false);
  });
});

describe("the allow list", () => {
  it("a client outside --allow gets no answer and the log says why", async () => {
    const denied = await startTestServer({ allow: ["10.0.0.0/8"] });
    try {
      const r = await exchange(denied.port, capture("hc-access-denied", "c2s"));
      expect(r.bytes.length).toBe(0);
      expect(denied.jobs.at(-1)?.reason).toMatch(/--allow/);
      expect(denied.lines.join("\n")).toMatch(/refused connection from 127\.0\.0\.1/);
      expect(denied.server.stats().tcpAccept).toBe(0);
    } finally {
      await denied.stop();
    }
  });
});
