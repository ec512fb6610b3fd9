import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, waitFor, type DistccdHandle } from "@x/testkit";
import { SpeedModel } from "@x/distcc-scheduler";
import { listen } from "./fake-hosts.js";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";

/** A proxy in front of a real distccd that, once `stall()` is called, holds new jobs without an answer. */
async function stallingProxy(upstreamPort: number): Promise<{
  host: string;
  id: string;
  stall(): void;
  /** Stalled connections the client closed (it gave the job up). */
  abandoned(): number;
  close(): Promise<void>;
}> {
  let stalling = false;
  let abandoned = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    if (stalling) {
      client.resume(); // read the request, never answer
      client.on("close", () => abandoned++);
      client.on("error", () => undefined);
      return;
    }
    const upstream = connect(upstreamPort, "127.0.0.1");
    sockets.add(upstream);
    client.pipe(upstream).on("error", () => undefined);
    upstream.pipe(client).on("error", () => undefined);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    id: `tcp_127.0.0.1_${port}`,
    stall: () => (stalling = true),
    abandoned: () => abandoned,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A model that knows both places: the helper answers in ~40 ms, this machine compiles in ~150 ms. */
function seedModel(distccDir: string, ...helperIds: string[]): void {
  const model = new SpeedModel();
  const now = Date.now();
  for (let i = 0; i < 10; i++) {
    for (const id of helperIds) model.observe({ placeId: id, inputBytes: 20_000 + i * 1000, elapsedMs: 40 }, now);
    model.observe({ placeId: "localhost", inputBytes: 20_000 + i * 1000, elapsedMs: 150 }, now);
  }
  mkdirSync(distccDir, { recursive: true });
  writeFileSync(join(distccDir, "scheduler-model.json"), JSON.stringify(model.toJSON()));
}

describe("straggler copies: a job stuck on a helper is compiled again here, the first result wins", () => {
  const tmp = makeTempDir("client-stragglers-");
  let distccd: DistccdHandle;
  let launcher = "";
  const agents: string[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 2 });
    ({ launcher } = makeLinks(join(tmp.path, "links")));
  });
  afterAll(async () => {
    for (const dir of agents) await stopAgent(dir);
    for (const close of closers) await close();
    await distccd.stop();
    tmp.remove();
  });

  function project(name: string): string {
    const dir = join(tmp.path, name);
    mkdirSync(join(dir, "obj"), { recursive: true });
    writeFileSync(
      join(dir, "a.c"),
      '#include <stdio.h>\n#warning "from a"\nint a(int x) { printf("%d", x); return x * 7; }\n',
    );
    return dir;
  }

  /** A case: its project, agent state and log, and `count` proxies to the real distccd, the first stalled. */
  async function stalledCase(name: string, count = 1) {
    const proxies = [];
    for (let i = 0; i < count; i++) {
      const proxy = await stallingProxy(distccd.port);
      closers.push(proxy.close);
      proxies.push(proxy);
    }
    const distccDir = join(tmp.path, `state-${name}`);
    agents.push(distccDir);
    seedModel(distccDir, ...proxies.map((p) => p.id));
    proxies[0]!.stall();
    return { proxies, distccDir, dir: project(name), log: join(tmp.path, `${name}.log`) };
  }

  it("the copy here wins against a helper that stopped answering; same object, diagnostics and .d as a local compile", async () => {
    const { proxies, distccDir, dir, log } = await stalledCase("copy");
    const proxy = proxies[0]!;
    // A helper that never answers would hold the job for DISTCC_IO_TIMEOUT (60 s here).
    const env = clientEnv(distccDir, `${proxy.host}/2`, { DISTCC_IO_TIMEOUT: "60", DISTCC_LOG: log });
    const args = ["-O2", "-g", "-MMD", "-c", "a.c", "-o", "obj/a.o"];
    const r = await run(launcher, ["gcc", ...args], { cwd: dir, env, timeoutMs: 50_000 });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(/a\.c: late on tcp_127\.0\.0\.1_\d+; a copy goes to localhost/);
    expect(text).toMatch(/a\.c: the copy on localhost came first/);
    expect(text).not.toMatch(/failed to distribute/);

    expect(r.stderr).toContain('#warning "from a"');
    // A local compile in the same directory (-g records it) writes the same bytes, once it is told the
    // one option the copy's compile had: -g records -fdirectives-only (the preprocessing mode) in
    // DW_AT_producer. Without it the bytes differ; this pins the mode as well.
    const ours = { o: readFileSync(join(dir, "obj/a.o")), d: readFileSync(join(dir, "obj/a.d"), "utf8") };
    const local = await run("gcc", ["-fdirectives-only", ...args], { cwd: dir, env: process.env });
    expect(local.code).toBe(0);
    expect(ours.o.equals(readFileSync(join(dir, "obj/a.o")))).toBe(true);
    expect(ours.d).toBe(readFileSync(join(dir, "obj/a.d"), "utf8"));
    // The losing attempt was given up (its connection closed), and nothing private is left behind.
    await waitFor("the losing attempt's connection to close", () => proxy.abandoned() > 0);
    expect(proxy.abandoned()).toBe(1);
    expect(readdirSync(join(distccDir, "agent")).filter((f) => /^(cpp|copy)-/.test(f))).toEqual([]);
    expect(readdirSync(join(dir, "obj")).sort()).toEqual(["a.d", "a.o"]);
  }, 60_000);

  it("DISTCC_STRAGGLERS=0: no copy, the job waits for the helper's timeout and then fails over", async () => {
    const { proxies, distccDir, dir, log } = await stalledCase("nocopy");
    const proxy = proxies[0]!;
    const env = clientEnv(distccDir, `${proxy.host}/2`, {
      DISTCC_IO_TIMEOUT: "2",
      DISTCC_LOG: log,
      DISTCC_STRAGGLERS: "0",
    });
    const r = await run(launcher, ["gcc", "-O2", "-c", "a.c", "-o", "obj/a.o"], { cwd: dir, env, timeoutMs: 50_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, "obj/a.o"))).toBe(true);
    const text = readFileSync(log, "utf8");
    expect(text).not.toMatch(/a copy goes to/);
    expect(text).toMatch(/failed to distribute a\.c to 127\.0\.0\.1:\d+: .*2 s/);
  }, 60_000);

  it("with DISTCC_FALLBACK=0 the copy goes to another helper, never here", async () => {
    const { proxies, distccDir, dir, log } = await stalledCase("remote-copy", 2);
    const [stuck, good] = [proxies[0]!, proxies[1]!];
    const env = clientEnv(distccDir, `${stuck.host}/2 ${good.host}/2`, {
      DISTCC_IO_TIMEOUT: "60",
      DISTCC_LOG: log,
      DISTCC_FALLBACK: "0",
    });
    const r = await run(launcher, ["gcc", "-O2", "-c", "a.c", "-o", "obj/a.o"], { cwd: dir, env, timeoutMs: 50_000 });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(text).toContain(`a.c: late on ${stuck.id}; a copy goes to ${good.id}`);
    expect(text).toContain(`a.c: the copy on ${good.id} came first`);
    const ours = readFileSync(join(dir, "obj/a.o"));
    expect((await run("gcc", ["-O2", "-c", "a.c", "-o", "obj/a.o"], { cwd: dir, env: process.env })).code).toBe(0);
    expect(ours.equals(readFileSync(join(dir, "obj/a.o")))).toBe(true);
    await waitFor("the stuck attempt's connection to close", () => stuck.abandoned() > 0);
    expect(stuck.abandoned()).toBe(1);
  }, 60_000);
});
