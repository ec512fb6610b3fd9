// Our extensions end to end (docs/protocol-extensions.md): our client learns that our server is ours
// from the trailer of its first normal job, then sends the compiler's identity with LZ4 bodies; a
// real distccd only ever receives standard requests.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, type DistccdHandle } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent, waitForJobs } from "./helpers.js";
import {
  armAttributes,
  PROGRAM_UNITS,
  startOurServer,
  writeProgram,
  writeScript,
  type ServerHandle,
} from "./cross-helpers.js";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.js";

const tmp = makeTempDir("client-ext-");
let launcher = "";
const distccDirs: string[] = [];
const boardBin = join(tmp.path, "cbin-board");

beforeAll(() => {
  ({ launcher } = makeLinks(join(tmp.path, "links")));
  // A Raspberry-Pi-style ARM compiler under a name no server knows (no triple, no gcc in it):
  // armv6 / VFP / hard float / ARM mode by default, unlike Debian's armv7 + Thumb-2 armhf gcc.
  writeScript(
    boardBin,
    "picompile",
    'exec /usr/bin/arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"',
  );
});

afterAll(async () => {
  for (const d of distccDirs) await stopAgent(d);
  tmp.remove();
});

function envFor(name: string, hosts: string): NodeJS.ProcessEnv {
  const dir = join(tmp.path, `state-${name}`);
  distccDirs.push(dir);
  return clientEnv(dir, hosts, {
    PATH: `${boardBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    DISTCC_BACKOFF_PERIOD: "0",
    DISTCC_POLICY: "distcc",
  });
}

const peersOf = (env: NodeJS.ProcessEnv): Record<string, { kind: string; features?: string[] }> =>
  (JSON.parse(readFileSync(join(env.DISTCC_DIR!, "peers.json"), "utf8")) as { peers: Record<string, { kind: string }> })
    .peers;

describe("our client and our server", () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startOurServer({ cacheDir: join(tmp.path, "server-cache") });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("the first job is standard and teaches 'ours'; later jobs carry the identity (LZO bodies), and an ARM compiler the server cannot name is served with the client's ABI", async () => {
    const env = envFor("ours", server.host);
    const dir = join(tmp.path, "ours");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "first.c"), "int first(int x) { return x + 1; }\n");
    const first = await run(launcher, ["gcc", "-O2", "-c", "first.c", "-o", "first.o"], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const spawns = (): string[] =>
      server
        .log()
        .split("\n")
        .filter((l) => l.includes("spawn_child"));
    expect(spawns()).toHaveLength(1);
    expect(spawns()[0]).not.toContain("by identity");
    expect(peersOf(env)[server.host]).toMatchObject({
      kind: "ours",
      features: expect.arrayContaining(["lz4", "identity"]),
    });

    writeProgram(dir);
    // One after another, in distcc order (DISTCC_POLICY=distcc): every job goes to the helper.
    const remote = [];
    for (const u of PROGRAM_UNITS)
      remote.push(
        await run(launcher, ["picompile", "-O2", "-c", `${u}.c`, "-o", `${u}.o`], {
          cwd: dir,
          env: { ...env, DISTCC_VERBOSE: "1" },
        }),
      );
    for (const r of remote) expect(r.code, r.stderr).toBe(0);
    const said = remote.map((r) => r.stderr).join("");
    expect(said).not.toMatch(/failed to distribute|compiled locally/); // no fallback, no host failure
    expect(said).toContain("ours: lzo, identity");
    const byIdentity = spawns().slice(1);
    expect(byIdentity).toHaveLength(PROGRAM_UNITS.length);
    for (const l of byIdentity) {
      expect(l).toContain("(by identity, lzo)");
      expect(l).toContain("arm-linux-gnueabihf-gcc");
      expect(l).toContain("-march=armv6");
    }

    const localDir = join(tmp.path, "ours-local");
    writeProgram(localDir);
    for (const u of PROGRAM_UNITS) {
      const l = await run(join(boardBin, "picompile"), ["-O2", "-c", `${u}.c`, "-o", `${u}.o`], {
        cwd: localDir,
        env: process.env,
      });
      expect(l.code, l.stderr).toBe(0);
      expect(await armAttributes(join(dir, `${u}.o`))).toBe(await armAttributes(join(localDir, `${u}.o`)));
      expect(await disassemble(join(dir, `${u}.o`))).toBe(await disassemble(join(localDir, `${u}.o`)));
    }
    expect(await armAttributes(join(dir, "main.o"))).toMatch(/Tag_CPU_arch: v6/);
  });
});

describe("our client and a real distccd", () => {
  let distccd: DistccdHandle;
  let proxy: RecordingProxy;
  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 2 });
    proxy = await startRecordingProxy(distccd);
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await distccd?.stop();
  });

  it("receives nothing but standard distcc requests, and the host is remembered as a distccd", async () => {
    const env = envFor("distccd", proxy.host);
    const dir = join(tmp.path, "distccd");
    mkdirSync(dir, { recursive: true });
    const before = waitForJobs(distccd.log, {}, 0);
    for (const n of [1, 2, 3]) {
      writeFileSync(join(dir, `f${n}.c`), `int f${n}(int x) { return x * ${n}; }\n`);
      const r = await run(launcher, ["gcc", "-O2", "-c", `f${n}.c`, "-o", `f${n}.o`], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(dir, `f${n}.o`))).toBe(true);
    }
    expect((await waitForJobs(distccd.log, { ok: (await before).ok + 3 })).ok).toBe((await before).ok + 3);
    const requests = proxy.requests();
    expect(requests).toHaveLength(3);
    for (const req of requests) {
      expect(req.subarray(0, 12).toString("latin1")).toBe("DIST00000001");
      for (const ext of ["XREQ", "XCAP", "XSRV"]) expect(req.includes(ext)).toBe(false);
    }
    expect(peersOf(env)[proxy.host]).toMatchObject({ kind: "distccd" });
  });
});
