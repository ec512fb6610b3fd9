import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, makeTempDir, waitFor } from "@x/testkit";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";
import { startDistccServer, type ServerHandle } from "./our-server.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** A port that accepts connections and never answers (a helper hung in the middle of its stats page). */
async function mutePort(): Promise<{ port: number; accepted(): number; closed(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closed = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.resume(); // read the request (and so see the client's end), answer nothing
    socket.on("close", () => {
      closed++;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    accepted: () => accepted,
    closed: () => closed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A port that answers every request with `body` (HTTP 200, JSON type): what a broken or foreign stats page sends. */
async function answeringPort(body: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.once("data", () =>
      socket.end(
        `HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Our server with `--stats` on a port of its own; DISTCC_STATS then says where. */
async function serverWithStats(): Promise<ServerHandle & { statsPort: number }> {
  const statsPort = await freePort();
  const server = await startDistccServer({ jobs: 3, extraArgs: ["--stats", "--stats-port", String(statsPort)] });
  return Object.assign(server, { statsPort });
}

/** The farm table's line for a helper (the agent's view above it names the same hosts). */
function rowOf(view: string, name: string): string {
  const farm = view.slice(view.indexOf("farm: "));
  return farm.split("\n").find((l) => l.startsWith(`${name} `)) ?? `(no line for ${name} in:\n${view})`;
}

describe("mon: the farm view (each helper's own figures from its --stats /json)", () => {
  const tmp = makeTempDir("client-farm-");
  const cleanups: (() => Promise<void>)[] = [];
  let launcher = "";

  beforeAll(() => {
    ({ launcher } = makeLinks(join(tmp.path, "links")));
    writeFileSync(join(tmp.path, "hello.c"), "int hello(void) { return 42; }\n");
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    tmp.remove();
  });

  it("beside the agent's view, one line per helper: its jobs, queue, load, uptime and compilers; a stopped one is unreachable", async () => {
    const a = await serverWithStats();
    const b = await serverWithStats();
    cleanups.push(a.stop, b.stop);
    const distccDir = join(tmp.path, "state-two");
    cleanups.push(() => stopAgent(distccDir));
    // distcc's order: the first slot of the first host, so the one job goes to `a`.
    const env = clientEnv(distccDir, `${a.host}/2 ${b.host}/2`, {
      DISTCC_POLICY: "distcc",
      DISTCC_STATS: `${a.host}=${a.statsPort} ${b.host}=${b.statsPort}`,
    });
    const compiled = await run(launcher, ["gcc", "-c", "hello.c", "-o", "hello.o"], { cwd: tmp.path, env });
    expect(compiled.code, compiled.stderr).toBe(0);
    await b.stop();

    const mon = await run(process.execPath, [cli, "mon", "--once"], { cwd: "/", env, timeoutMs: 30_000 });
    expect(mon.code, mon.stderr).toBe(0);
    // The agent's view first, then the farm.
    expect(mon.stdout).toMatch(/^distcc-client mon: agent \d+, updated [\d.]+ s ago\n/);
    expect(mon.stdout).toMatch(/^place\s+slots\s+jobs\s+mean ms/m);
    expect(mon.stdout).toMatch(
      /\n\nfarm: 2 helpers, 1 with figures\nhelper\s+running\s+queue\s+load\s+uptime\s+compilers served\s+state\n/,
    );
    expect(rowOf(mon.stdout, a.host)).toMatch(/^\S+\s+0\/3\s+0\s+\d+\.\d\d\s+\d+ (s|min)\s+\S*gcc 1$/);
    expect(rowOf(mon.stdout, b.host)).toMatch(
      new RegExp(
        `^\\S+(\\s+-){5}\\s+unreachable: connection refused \\(http://127\\.0\\.0\\.1:${b.statsPort}/json\\)$`,
      ),
    );

    // --farm: the farm alone.
    const farm = await run(process.execPath, [cli, "mon", "--once", "--farm"], { cwd: "/", env, timeoutMs: 30_000 });
    expect(farm.code, farm.stderr).toBe(0);
    expect(farm.stdout).toMatch(/^farm: 2 helpers, 1 with figures\n/);
    expect(farm.stdout).not.toContain("distcc-client mon: agent");
    expect(farm.stdout).not.toMatch(/^place\s+slots/m);
  }, 120_000);

  it("a helper that accepts and never answers is shown as unreachable, in time; answers that are not our /json say what they are", async () => {
    const a = await serverWithStats();
    cleanups.push(a.stop);
    const mute = await mutePort();
    const broken = await answeringPort('{"uptimeSeconds": 5, "running": "lots"}');
    const notJson = await answeringPort("<html>it works</html>");
    cleanups.push(mute.close, broken.close, notJson.close);
    // The other helpers' distcc ports are never dialled by `mon`: only their stats ports are.
    const [m, x, y] = [await freePort(), await freePort(), await freePort()];
    const env = clientEnv(join(tmp.path, "state-odd"), `127.0.0.1:${m} 127.0.0.1:${x} ${a.host} 127.0.0.1:${y}`, {
      DISTCC_STATS: `127.0.0.1:${m}=${mute.port},127.0.0.1:${x}=${broken.port},${a.host}=${a.statsPort},127.0.0.1:${y}=http://127.0.0.1:${notJson.port}/stats`,
    });
    // A guard, not a measure: the view must come although one helper never answers.
    const farm = await run(process.execPath, [cli, "mon", "--once", "--farm"], { cwd: "/", env, timeoutMs: 20_000 });
    expect(farm.signal).toBeNull();
    expect(farm.code, farm.stderr).toBe(0);
    expect(farm.stdout).toMatch(/^farm: 4 helpers, 1 with figures\n/);
    expect(rowOf(farm.stdout, `127.0.0.1:${m}`)).toMatch(
      /unreachable: no answer in 1\.5 s \(http:\/\/127\.0\.0\.1:\d+\/json\)$/,
    );
    expect(rowOf(farm.stdout, `127.0.0.1:${x}`)).toMatch(
      /bad answer: not a distcc-server \/json \(running: .*\) \(http:/,
    );
    expect(rowOf(farm.stdout, `127.0.0.1:${y}`)).toMatch(
      /bad answer: not JSON \(.*\) \(http:\/\/127\.0\.0\.1:\d+\/stats\)$/,
    );
    expect(rowOf(farm.stdout, a.host)).toMatch(/^\S+\s+0\/3\s+0\s+\d+\.\d\d\s+\d+ (s|min)\s+none yet$/);
    // It was asked once; its connection is closed, nothing left behind.
    expect(mute.accepted()).toBe(1);
    await waitFor("the unanswered stats connection to close", () => mute.closed() === 1);

    // Without --farm and with no agent yet: the farm all the same, and why the agent's part is missing.
    const noAgent = await run(process.execPath, [cli, "mon", "--once"], { cwd: "/", env, timeoutMs: 20_000 });
    expect(noAgent.code).toBe(1);
    expect(noAgent.stderr).toMatch(/^distcc-client: no agent has run for .*state-odd yet\n$/);
    expect(noAgent.stdout).toMatch(/^farm: 4 helpers, 1 with figures\n/);
  }, 60_000);

  it("the live view keeps its pace while a helper does not answer, then says so; it stops when its reader goes away", async () => {
    const mute = await mutePort();
    cleanups.push(mute.close);
    const m = await freePort();
    const env = clientEnv(join(tmp.path, "state-live"), `127.0.0.1:${m}`, { DISTCC_STATS: String(mute.port) });
    const child = spawn(process.execPath, [cli, "mon", "--farm", "--interval", "0.2"], {
      cwd: "/",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(async () => void child.kill("SIGKILL"));
    let out = "";
    child.stdout.setEncoding("utf8");
    // Frames come every 0.2 s; the helper's line says "asking..." until the 1.5 s question gives up.
    const frames = await new Promise<string[]>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`mon left (${code}):\n${out}`)));
      child.stdout.on("data", (d: string) => {
        out += d;
        const blocks = out.split("\n\n").filter((b) => b.startsWith("farm: "));
        if (blocks.some((b) => b.includes("no answer in 1.5 s"))) resolve(blocks);
      });
    });
    // Its reader goes away (`mon | head`): it stops, without an EPIPE trace.
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
    const asking = frames.filter((f) => /^127\.0\.0\.1:\d+(\s+-){5}\s+asking\.\.\.$/m.test(f));
    // At least two frames (0.2 s apart) were drawn while the question was out: the view did not wait for it.
    expect(asking.length).toBeGreaterThanOrEqual(2);
    expect(frames.indexOf(asking[0]!)).toBe(0);
  }, 60_000);
});
