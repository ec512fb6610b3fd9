import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, waitFor, type DistccdHandle } from "@x/testkit";
import { SpeedModel } from "@x/distcc-scheduler";
import { countingProxy, type FakeHost } from "./fake-hosts.js";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";
import { generateProject } from "./project.js";
import { slowProxy, type SlowProxy } from "./slow-proxy.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** How the scheduler (and its saved model) knows a host: its lock-style id. */
function hostId(host: string): string {
  const [h, p] = host.split(":");
  return `tcp_${h}_${p}`;
}

/** `distcc-client summary`, once the agent's status shows `done` finished jobs (it writes it within 250 ms). */
async function summaryWhenDone(env: NodeJS.ProcessEnv, done: number): Promise<string> {
  return waitFor(
    `a summary with ${done} jobs compiled`,
    async () => {
      const r = await run(process.execPath, [cli, "summary"], { cwd: "/", env });
      const m = /^(\d+) of \d+ jobs compiled/m.exec(r.stdout);
      return m && Number(m[1]) >= done ? r.stdout + r.stderr : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

/** Jobs compiled at a place, by the name `summary` gives it (a host as the host list writes it). */
function compiledAt(summary: string, id: string): number {
  const line = summary.split("\n").find((l) => l.trim().startsWith(`${id} `));
  return line ? Number(/\s(\d+) jobs?\b/.exec(line)?.[1] ?? 0) : 0;
}

describe("placement: the default policy with helpers of different speed (real distccd, real gcc, make)", () => {
  const tmp = makeTempDir("client-placement-");
  let distccd: DistccdHandle;
  const proxies: { close(): Promise<void> }[] = [];
  const agents: string[] = [];
  let launcher = "";

  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 4 });
    ({ launcher } = makeLinks(join(tmp.path, "links")));
  });
  afterAll(async () => {
    for (const dir of agents) await stopAgent(dir);
    for (const p of proxies) await p.close();
    await distccd.stop();
    tmp.remove();
  });

  it("a helper far slower than this machine gets only its first jobs; the model is kept for the next agent", async () => {
    // 1.5 s per job more than the same compile here, however loaded the machine is (a fixed 1.5 s
    // per job would be no slower than this machine once a compile itself took that long).
    const slow: SlowProxy = await slowProxy(distccd.port, 1500);
    proxies.push(slow);
    const distccDir = join(tmp.path, "state-slow");
    agents.push(distccDir);
    const dir = join(tmp.path, "slow");
    const objects = generateProject(dir, 16);
    const summaryFile = join(tmp.path, "summary-slow.txt");
    const env = clientEnv(distccDir, `${slow.host}/2 --localslots=2`, { DISTCC_SUMMARY: summaryFile });
    const build = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: dir, env });
    expect(build.code, build.stderr).toBe(0);
    // Jobs placed here compile their preprocessed output (not the source again): same objects, same .d files.
    const reference = join(tmp.path, "slow-local");
    generateProject(reference, 16);
    const local = await run("make", ["-j4", "CC=gcc"], { cwd: reference, env: process.env });
    expect(local.code, local.stderr).toBe(0);
    for (const o of objects) {
      expect(readFileSync(join(dir, o)).equals(readFileSync(join(reference, o))), o).toBe(true);
      const d = o.replace(/\.o$/, ".d");
      expect(readFileSync(join(dir, d), "utf8"), d).toBe(readFileSync(join(reference, d), "utf8"));
    }
    expect(readdirSync(join(distccDir, "agent")).filter((f) => f.startsWith("cpp-"))).toEqual([]);

    const first = slow.jobs();
    // distcc's order would send all 16 there; ours only the first probing jobs (its 2 slots at most twice).
    expect(first).toBeLessThanOrEqual(4);
    expect(slow.maxConcurrent()).toBeLessThanOrEqual(2);
    const summary = await summaryWhenDone(env, 16);
    expect(summary).toMatch(/^16 of 16 jobs compiled/m);
    // A first job still running on the slow helper may also be compiled here as a straggler copy,
    // and the copy may come first: every job is counted once, where its result came from.
    const onSlow = compiledAt(summary, slow.host);
    expect(onSlow).toBeLessThanOrEqual(first);
    expect(compiledAt(summary, "localhost")).toBe(16 - onSlow);

    const mon = await run(process.execPath, [cli, "mon", "--once"], { cwd: "/", env });
    expect(mon.code, mon.stderr).toBe(0);
    expect(mon.stdout).toMatch(/^place\s+slots\s+jobs/m);
    expect(mon.stdout).toMatch(new RegExp(`^${slow.host}\\s+0/2\\s+${onSlow}\\s`, "m"));
    expect(mon.stdout).toMatch(/^localhost\s+0\/2\s+\d+\s/m);

    // The build is over after a quiet gap: the asked-for summary file, and the learned model under DISTCC_DIR.
    await waitFor("the summary file, once the build is over", () => existsSync(summaryFile), { timeoutMs: 6000 });
    expect(readFileSync(summaryFile, "utf8")).toMatch(/^distcc-client: build for \d+\.\d s\n16 of 16 jobs compiled/);
    await stopAgent(distccDir);
    const after = await run(process.execPath, [cli, "mon", "--once"], { cwd: "/", env });
    expect(after.stdout).toMatch(
      /^distcc-client mon: agent \d+, updated .* ago \(agent no longer running\)\nlast build: 16 done/,
    );
    const model = SpeedModel.fromJSON(JSON.parse(readFileSync(join(distccDir, "scheduler-model.json"), "utf8")));
    expect(model.count(hostId(slow.host))).toBeGreaterThan(0);
    expect(model.count("localhost")).toBeGreaterThan(0);
    // A new agent starts from that model: the slow helper is known at once, not probed again.
    expect(model.estimate(hostId(slow.host), 1000, Date.now())!).toBeGreaterThan(
      model.estimate("localhost", 1000, Date.now())!,
    );
    const again = await run("make", ["-B", "-j4", `CC=${launcher} gcc`], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(slow.jobs() - first).toBeLessThanOrEqual(first);
  }, 120_000);

  it("a fast and a slow helper: the fast one takes more, limits hold across all launchers (make -j8)", async () => {
    // The slow helper is 3 s slower than the fast one per job (the same distccd behind both), however
    // long a compile takes on a loaded machine: a fixed 700 ms per job was no slower at all once a
    // compile itself took that long, and the counts then came out even.
    const fast: FakeHost = await countingProxy(distccd.port, 2);
    const slow = await slowProxy(distccd.port, 3000);
    proxies.push(fast, slow);
    const distccDir = join(tmp.path, "state-two");
    agents.push(distccDir);
    const dir = join(tmp.path, "two");
    const objects = generateProject(dir, 24);
    const env = clientEnv(distccDir, `${fast.host}/2 ${slow.host}/2 --localslots=1`);
    const build = await run("make", ["-j8", `CC=${launcher} gcc`], { cwd: dir, env });
    expect(build.code, build.stderr).toBe(0);
    for (const o of objects) expect(existsSync(join(dir, o)), o).toBe(true);
    expect(fast.maxConcurrent()).toBeLessThanOrEqual(2);
    expect(slow.maxConcurrent()).toBeLessThanOrEqual(2);
    expect(fast.connections()).toBeGreaterThan(slow.jobs());
    const summary = await summaryWhenDone(env, 24);
    expect(summary).toMatch(/^24 of 24 jobs compiled/m);
    expect(compiledAt(summary, fast.host) + compiledAt(summary, slow.host) + compiledAt(summary, "localhost")).toBe(24);
  }, 120_000);
});
