import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseHostList } from "@x/distcc-hosts";
import { CpuPressure } from "@x/distcc-scheduler";
import { waitFor } from "@x/testkit";
import { PlacementDriver } from "../agent/placement.js";
import { AgentMonitor } from "./agent-monitor.js";
import { CHANNELS, type JobEvent } from "./channels.js";
import { formatMon, formatSummary } from "./status.js";

const monitors: AgentMonitor[] = [];
afterEach(() => {
  for (const m of monitors.splice(0)) m.close();
});

function setup(hosts: string): { driver: PlacementDriver; monitor: AgentMonitor } {
  const monitor = new AgentMonitor({ buildGapMs: 50 });
  monitors.push(monitor);
  const driver = new PlacementDriver(parseHostList(hosts), {
    policy: "distcc",
    backoffPeriodMs: 60_000,
    localIsAPlace: true,
  });
  driver.observer = monitor.observe("0", driver.scheduler, driver.names);
  return { driver, monitor };
}

describe("AgentMonitor", () => {
  it("summary: a ,cpp host's plain-mode jobs and why (a switch's reason, not a probe's), and its return to pump", () => {
    const { monitor } = setup("10.0.0.9:3632/2,cpp,lzo");
    const id = "tcp_10.0.0.9_3632";
    const slow = "the helper takes 900 ms per job with its preprocessing, this machine 100 ms per preprocessing";
    monitor.noteJobMode(id, "pump", {
      mode: "pump",
      probe: false,
      hostMode: "pump",
      reason: "the helper is still measured",
    });
    expect(monitor.status().build?.plainMode).toBeUndefined();
    monitor.noteJobMode(id, "pump", { mode: "plain", probe: true, hostMode: "pump", reason: "probe: measuring" });
    monitor.noteJobMode(id, "pump", { mode: "plain", probe: false, hostMode: "plain", reason: slow });
    monitor.noteJobMode(id, "plain", { mode: "pump", probe: true, hostMode: "plain", reason: "probe: again" });
    monitor.noteJobMode(id, "plain", { mode: "plain", probe: false, hostMode: "plain", reason: slow });
    expect(monitor.status().build?.plainMode).toEqual({ [id]: { jobs: 3, reason: slow } });
    monitor.noteJobMode(id, "plain", {
      mode: "pump",
      probe: false,
      hostMode: "pump",
      reason: "the helper is fast again",
    });
    const summary = formatSummary(monitor.status().build!, Date.now());
    expect(summary).toMatch(
      new RegExp(
        `^ {2}10\\.0\\.0\\.9:3632\\s+0 jobs.*plain mode for 3 jobs: ${slow}; then pump again: the helper is fast again$`,
        "m",
      ),
    );
  });

  it("counts per place, failures with their reason, fallbacks, and publishes every attempt", async () => {
    const { driver, monitor } = setup("10.0.0.9:3632/1 --localslots=1");
    const events: JobEvent[] = [];
    const onJob = (m: unknown): void => void events.push(m as JobEvent);
    subscribe(CHANNELS.job, onJob);
    try {
      const signal = new AbortController().signal;
      const a = await driver.submit({ inputBytes: 1000 }, signal);
      expect(a.lease.placeId).toBe("tcp_10.0.0.9_3632");
      driver.finish(a.lease, { ok: false, reason: "connection refused" });
      const retry = await driver.next(a.jobId, signal); // the helper is backed off: here
      expect(retry.placeId).toBe("localhost");
      driver.finish(retry, { ok: true, elapsedMs: 60 });
      const b = await driver.submit({ inputBytes: 2000 }, signal);
      expect(b.lease.placeId).toBe("localhost");
      driver.finish(b.lease, { ok: true, elapsedMs: 40 });
      const link = await driver.submit({ inputBytes: 0, localOnly: true }, signal);
      driver.finish(link.lease, { ok: true, elapsedMs: 500 });

      const status = monitor.status();
      expect(status.build?.stats.finished).toBe(2);
      expect(status.build?.stats.fellBackLocally).toBe(1);
      expect(status.build?.stats.places.localhost?.compiled).toBe(2);
      expect(status.build?.stats.places["tcp_10.0.0.9_3632"]?.failures).toEqual({ "connection refused": 1 });
      expect(status.build?.localOnly).toBe(1);
      expect(status.build?.running).toBe(0);
      const helper = status.places.find((p) => p.id === "tcp_10.0.0.9_3632");
      expect(helper?.backedOffUntil).toBeGreaterThan(Date.now());

      const summary = formatSummary(status.build!, Date.now());
      expect(summary).toMatch(/2 of 2 jobs compiled, 1 compiled locally after a remote failure/);
      expect(summary).toMatch(/localhost\s+2 jobs\s+50 ms\/job/);
      // Hosts as written in the host list, never the lock-style id.
      expect(summary).toMatch(/^ {2}10\.0\.0\.9:3632\s+0 jobs.*failed: 1x connection refused$/m);
      expect(summary).not.toContain("tcp_");
      expect(summary).toMatch(/; 1 job not distributable/);

      const view = formatMon(status, Date.now());
      expect(view).toMatch(/build: 2 done, 0 running, 0 waiting/);
      expect(view).toMatch(/^place\s+slots\s+jobs\s+mean ms\s+ms\/100KiB\s+state$/m);
      expect(view).toMatch(/^10\.0\.0\.9:3632\s+0\/1\s+0\s+-\s+\S+\s+backed off \d+\.\d s$/m);
      expect(view).toMatch(/^localhost\s+0\/1\s+2\s+50\s+\d+\s*$/m);

      expect(events.map((e) => [e.placeId, e.ok, e.reason ?? "", e.localOnly])).toEqual([
        ["tcp_10.0.0.9_3632", false, "connection refused", false],
        ["localhost", true, "", false],
        ["localhost", true, "", false],
        ["localhost", true, "", true],
      ]);
    } finally {
      unsubscribe(CHANNELS.job, onJob);
    }
  });

  it("shows this machine's CPU pressure and how often the helpers were full", async () => {
    const pressure = new CpuPressure();
    const monitor = new AgentMonitor({ buildGapMs: 50, cpuPressure: pressure });
    monitors.push(monitor);
    const driver = new PlacementDriver(parseHostList("10.0.0.9:3632/1"), {
      policy: "distcc",
      backoffPeriodMs: 60_000,
      cpuPressure: pressure,
    });
    driver.observer = monitor.observe("0", driver.scheduler);
    expect(monitor.status().cpu).toBeUndefined();
    const signal = new AbortController().signal;
    const a = await driver.submit({ inputBytes: 1000 }, signal); // the helper's one slot: full from now
    await new Promise((r) => setTimeout(r, 30));
    driver.finish(a.lease, { ok: true, elapsedMs: 30 });
    const now = Date.now();
    for (let i = 0; i < 5; i++) pressure.observe(40, 10, now); // preprocessing at 4x its CPU time
    const status = monitor.status(now);
    expect(status.cpu).toEqual({ stretch: 4, saturatedAt: 2 });
    expect(status.helpersFullShare).toBeGreaterThan(0.9);
    expect(formatMon(status, now)).toMatch(
      /^this machine's CPU: preprocessing takes 4\.0x its CPU time \(saturated\); helpers full \d+ % of the time$/m,
    );
    // Through the status file's JSON too (what `mon` reads from another process).
    expect(JSON.parse(JSON.stringify(status)).cpu.stretch).toBe(4);
  });

  it("writes its status file at most every 250 ms while jobs come and go, and at once when asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "monitor-"));
    try {
      const statusFile = join(dir, "status.json");
      const monitor = new AgentMonitor({ buildGapMs: 60_000, statusFile });
      monitors.push(monitor);
      const driver = new PlacementDriver(parseHostList("localhost/2"), {
        policy: "distcc",
        backoffPeriodMs: 60_000,
        localIsAPlace: true,
      });
      driver.observer = monitor.observe("0", driver.scheduler, driver.names);
      const signal = new AbortController().signal;
      const finished = (): number | undefined =>
        existsSync(statusFile) ? JSON.parse(readFileSync(statusFile, "utf8")).build?.stats.finished : undefined;
      // One job at a time, each ending idle: no file per job (it was written after every one).
      for (let i = 0; i < 5; i++) {
        const j = await driver.submit({ inputBytes: 100 }, signal);
        driver.finish(j.lease, { ok: true, elapsedMs: 1 });
      }
      expect(finished()).toBeUndefined();
      monitor.writeStatusNow();
      expect(finished()).toBe(5);
      const j = await driver.submit({ inputBytes: 100 }, signal);
      driver.finish(j.lease, { ok: true, elapsedMs: 1 });
      expect(finished()).toBe(5);
      // Unasked, the timer writes it within 250 ms.
      await waitFor("the status file to count the sixth job", () => finished() === 6, {
        timeoutMs: 2000,
        intervalMs: 20,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ends a build after a quiet gap, publishes it, and starts a new one with the next job", async () => {
    const { driver, monitor } = setup("localhost/2");
    const builds: { summary: string }[] = [];
    const onBuild = (m: unknown): void => void builds.push(m as { summary: string });
    subscribe(CHANNELS.build, onBuild);
    try {
      const signal = new AbortController().signal;
      const j = await driver.submit({ inputBytes: 100 }, signal);
      driver.finish(j.lease, { ok: true, elapsedMs: 10 });
      await waitFor("the build to end after its quiet gap", () => builds.length > 0, {
        timeoutMs: 1000,
        intervalMs: 10,
      });
      expect(builds).toHaveLength(1);
      expect(builds[0]!.summary).toMatch(/^distcc-client: build for \d+\.\d s\n1 of 1 job compiled/);
      expect(monitor.status().build?.endedAt).toBeDefined();
      const k = await driver.submit({ inputBytes: 100 }, signal);
      const next = monitor.status().build!;
      expect(next.endedAt).toBeUndefined();
      expect(next.stats.jobs).toBe(1);
      expect(next.running).toBe(1);
      driver.finish(k.lease, { ok: true, elapsedMs: 10 });
    } finally {
      unsubscribe(CHANNELS.build, onBuild);
    }
  });

  it("a helper's compile error compiled again here is that helper's failure, not its work", async () => {
    const { driver, monitor } = setup("10.0.0.9:3632/2 --localslots=2");
    const signal = new AbortController().signal;
    for (let i = 0; i < 2; i++) {
      const job = await driver.submit({ inputBytes: 1000 }, signal);
      expect(job.lease.placeId).toBe("tcp_10.0.0.9_3632");
      driver.finish(job.lease, { ok: true, elapsedMs: 20 }, "the compile failed there (exit 1), compiled again here");
      const redo = await driver.submit({ inputBytes: 0, localOnly: true }, signal, job.jobId);
      expect(redo.lease.placeId).toBe("localhost");
      driver.finish(redo.lease, { ok: true, elapsedMs: 30 });
    }
    const build = monitor.status().build!;
    expect(build.stats).toMatchObject({ jobs: 2, finished: 2, fellBackLocally: 2 });
    expect(build.stats.places["tcp_10.0.0.9_3632"]).toMatchObject({
      compiled: 0,
      failures: { "the compile failed there (exit 1), compiled again here": 2 },
    });
    expect(build.stats.places.localhost?.compiled).toBe(2);
    expect(build.localOnly).toBe(0);
    // Nothing runs: the summary says the build is over, not "running", before the quiet gap ends it.
    const summary = formatSummary(build, Date.now() + 60_000);
    expect(summary).toMatch(
      /^distcc-client: build for \d+\.\d s\n2 of 2 jobs compiled, 2 compiled locally after a remote failure\n/,
    );
    expect(summary).toMatch(
      /^ {2}10\.0\.0\.9:3632\s+0 jobs\s+- {2}failed: 2x the compile failed there \(exit 1\), compiled again here$/m,
    );
  });

  it("counts builds, lists skipped hosts, and jobs run with no host list keep the build open", async () => {
    const { driver, monitor } = setup("10.0.0.9:3632/2");
    const first = monitor.currentBuild();
    expect(monitor.currentBuild()).toBe(first);
    monitor.noteSkipped("tcp_10.0.0.9_3632", "backed off after: connection refused");
    const done = monitor.unplacedJob();
    // The quiet gap (50 ms here) passes while the job runs: still the same build.
    await new Promise((r) => setTimeout(r, 120));
    expect(monitor.currentBuild()).toBe(first);
    done();
    const build = monitor.status().build!;
    expect(build.noHosts).toBe(1);
    const summary = formatSummary(build, Date.now());
    expect(summary).toMatch(/; 1 job run here: no host list gives any host/);
    expect(summary).toMatch(/^ {2}10\.0\.0\.9:3632\s+0 jobs\s+- {2}skipped: backed off after: connection refused$/m);
    await waitFor("the build to end after its quiet gap", () => monitor.status().build?.endedAt !== undefined, {
      timeoutMs: 1000,
      intervalMs: 10,
    });
    expect(monitor.currentBuild()).toBe(first + 1);
    void driver;
  });
});
