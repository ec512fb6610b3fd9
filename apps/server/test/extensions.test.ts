// Our extensions on the server side (docs/protocol-extensions.md): the XSRV trailer a real distcc
// client never notices, XREQ identity resolution, XCAP, and malformed extension packets.
import { waitFor } from "@x/testkit";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DOCTOR_PROBE_COMPILER,
  concatChunks,
  encodeExtensionPacket,
  encodeRequest,
  queryCapabilities,
  sendCompileJob,
  toWireIdentity,
  type CompileRequest,
} from "@x/distcc-protocol";
import {
  clientDir,
  disassembly,
  distccEnv,
  exchange,
  run,
  startTestServer,
  toolchainIndex,
  type TestServer,
} from "./helpers.js";
import { decodeResponseAndTrailer } from "./wire.js";

const WARNING_C = "int f(int x) { int unused; return x; }\n";
let srv: TestServer;
let dir: ReturnType<typeof clientDir>;

beforeAll(async () => {
  srv = await startTestServer();
  dir = clientDir();
  writeFileSync(join(dir.path, "warning.c"), WARNING_C);
});
afterAll(async () => {
  await srv?.stop();
  dir?.remove();
});

const armhf = (): Promise<{
  family: "gcc";
  kind: "c";
  version: string;
  target: string;
  abi: { arch: string; fpu: string; floatAbi: "hard"; mode: "arm"; endian: "little"; pointerBits: 32 };
}> =>
  toolchainIndex().then((index) => {
    const c = index.list().find((e) => e.identity.target === "arm-linux-gnueabihf" && e.identity.kind === "c");
    if (!c) throw new Error("Debian's gcc-arm-linux-gnueabihf is not installed");
    return {
      family: "gcc",
      kind: "c",
      version: c.identity.version,
      target: c.identity.target,
      abi: { arch: "armv6", fpu: "vfp", floatAbi: "hard", mode: "arm", endian: "little", pointerBits: 32 },
    };
  });

const job = (argv0: string): CompileRequest => ({
  version: 2,
  argv: [argv0, "-O2", "-c", "x.i", "-o", "x.o"],
  source: Buffer.from("double f(double x, float y) { return x * y; }\n"),
});

describe("the XSRV trailer", () => {
  it("follows every response, and a real distcc client's exit status, output and object are unaffected", async () => {
    // The same job as raw bytes: the trailer really is on the wire after DOTO.
    const raw = await exchange(srv.port, concatChunks(encodeRequest(job("gcc"))));
    const { response, trailer } = decodeResponseAndTrailer(raw.bytes, 2);
    expect(response.status).toBe(0);
    expect(trailer?.features).toEqual(expect.arrayContaining(["lz4", "identity", "caps"]));
    expect(trailer?.resolvedBy).toBe("name");

    for (const suffix of ["", ",lzo"]) {
      const before = srv.server.stats().results.COMPILE_OK;
      const remote = await run("distcc", ["gcc", "-Wall", "-c", "warning.c", "-o", "remote.o"], {
        cwd: dir.path,
        env: distccEnv(`${srv.hosts}${suffix}`, dir.distccDir),
      });
      const local = await run("gcc", ["-Wall", "-c", "warning.c", "-o", "local.o"], { cwd: dir.path });
      expect(remote.code, remote.stderr).toBe(0);
      expect(remote.stdout).toBe(local.stdout);
      expect(remote.stderr.replaceAll(/^.*\|.*$\n?/gm, "")).toBe(local.stderr.replaceAll(/^.*\|.*$\n?/gm, ""));
      await waitFor(
        "srv.server.stats().results.COMPILE_OK === before + 1",
        () => srv.server.stats().results.COMPILE_OK === before + 1,
      ); // ran here, counted OK
      expect(await disassembly("remote.o", dir.path)).toBe(await disassembly("local.o", dir.path));
    }
  });
});

describe("XREQ", () => {
  it("an identity is resolved to an installed toolchain with the client's ABI flags, whatever argv[0] says; LZ4 both ways", async () => {
    const identity = await armhf();
    const ex = await sendCompileJob({ host: "127.0.0.1", port: srv.port }, job("some-board-compiler"), {
      extension: { v: 1, compression: "lz4", identity },
      readTrailer: true,
    });
    expect(ex.response.status, Buffer.from(ex.response.stderr).toString()).toBe(0);
    expect(ex.server).toBe("ours");
    expect(ex.trailer?.resolvedBy).toBe("identity");
    expect(ex.trailer?.flags).toEqual(expect.arrayContaining(["-march=armv6", "-marm"]));
    expect(Buffer.from(ex.response.object).readUInt16LE(18)).toBe(40); // EM_ARM
    expect(
      srv.lines.some(
        (l) => l.includes("spawn_child") && l.includes("arm-linux-gnueabihf-gcc") && l.includes("(by identity, lz4)"),
      ),
    ).toBe(true);
  });

  it("a target no installed compiler makes is refused with the missing toolchain and its install hint; never a native compiler", async () => {
    const identity = {
      ...(await armhf()),
      target: "mips-linux-gnu",
      abi: { endian: "big" as const, pointerBits: 32 as const },
    };
    const ex = await sendCompileJob({ host: "127.0.0.1", port: srv.port }, job("gcc"), {
      extension: { v: 1, compression: "lz4", identity },
      readTrailer: true,
    });
    expect(ex.response.status >> 8).toBe(110);
    expect(Buffer.from(ex.response.stderr).toString()).toMatch(
      /distcc-server: ERROR: .*mips-linux-gnu.*to add one: apt-get install gcc-mips-linux-gnu/,
    );
    expect(ex.trailer?.missing).toEqual({
      target: "mips-linux-gnu",
      family: "gcc",
      kind: "c",
      hint: expect.stringContaining("gcc-mips-linux-gnu"),
    });
  });

  it("a malformed extension packet is refused cleanly (closed without an answer) and the server goes on", async () => {
    const bad = [
      Buffer.from("XREQ0000000b{not json!!}"),
      encodeExtensionPacket("XREQ", { v: 1, compression: "zstd" }),
      encodeExtensionPacket("XREQ", {
        v: 1,
        compression: "lz4",
        identity: { family: "gcc", kind: "c", version: "12", target: "x".repeat(5000), abi: {} },
      }),
      Buffer.from("XREQffffffff"),
      Buffer.from("XCAP00000002[]"),
    ];
    for (const packet of bad) {
      const r = await exchange(srv.port, [packet, ...encodeRequest(job("gcc"))]);
      expect(r.bytes.length).toBe(0);
    }
    expect(srv.jobs.filter((j) => j.reason?.startsWith("bad extension packet")).length).toBe(bad.length);
    const ok = await exchange(srv.port, concatChunks(encodeRequest(job("gcc"))));
    expect(decodeResponseAndTrailer(ok.bytes, 2).response.status).toBe(0);
  });
});

describe("XCAP", () => {
  it("lists the whitelisted toolchains by identity (no paths), slots and load", async () => {
    const caps = await queryCapabilities({ host: "127.0.0.1", port: srv.port });
    expect(caps.slots).toBe(4);
    const index = await toolchainIndex();
    expect(caps.toolchains.length).toBe(index.list().length);
    expect(caps.toolchains.map((t) => t.identity)).toContainEqual(toWireIdentity(index.list()[0]!.identity));
    expect(JSON.stringify(caps)).not.toContain("/usr/bin/");
  });
});

describe("doctor's probe", () => {
  it("is answered like any refused compiler but logged at info and kept out of the failures; a real refusal still warns and counts", async () => {
    const before = srv.server.stats();
    const probe = await sendCompileJob({ host: "127.0.0.1", port: srv.port }, job(DOCTOR_PROBE_COMPILER), {
      readTrailer: true,
    });
    expect(probe.response.status >> 8).toBe(110);
    expect(probe.server).toBe("ours");
    expect(Buffer.from(probe.response.stderr).toString()).toMatch(/^distcc-server: ERROR: /);
    await waitFor(
      "srv.server.stats().probes === before.probes + 1",
      () => srv.server.stats().probes === before.probes + 1,
    );
    const afterProbe = srv.server.stats();
    expect(afterProbe.results).toEqual(before.results);
    expect(Object.keys(afterProbe.reasons).filter((r) => r.includes(DOCTOR_PROBE_COMPILER))).toEqual([]);
    const probeLines = srv.lines.filter((l) => l.includes("(check_request)") && l.includes(DOCTOR_PROBE_COMPILER));
    expect(probeLines.length).toBe(1);
    expect(probeLines[0]).toMatch(/^info \(check_request\) 127\.0\.0\.1:\d+: doctor probe answered: /);

    const refused = await sendCompileJob({ host: "127.0.0.1", port: srv.port }, job("no-such-compiler-gcc"), {
      readTrailer: true,
    });
    expect(refused.response.status >> 8).toBe(110);
    await waitFor(
      "srv.server.stats().results.OTHER === before.results.OTHER + 1",
      () => srv.server.stats().results.OTHER === before.results.OTHER + 1,
    );
    expect(Object.keys(srv.server.stats().reasons).some((r) => r.includes("no-such-compiler-gcc"))).toBe(true);
    expect(srv.lines.some((l) => /^warning \(check_request\) .*no-such-compiler-gcc/.test(l))).toBe(true);
    expect(srv.server.stats().probes).toBe(before.probes + 1);
  });
});
