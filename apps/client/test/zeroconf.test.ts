// Issue 16: helpers found by DNS-SD, with real multicast. Each lab is a network namespace with a
// veth pair, its own system D-Bus and (lab A) its own avahi-daemon; real Debian distcc and distccd
// take part. Needs root (ip netns), avahi-daemon, avahi-utils and dbus (scripts/setup.sh).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killTree, startMdnsLab, waitFor, type MdnsLab } from "@x/testkit";
import { clientEnv, makeLinks, run, stopAgent, type RunResult } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SERVER_CLI = fileURLToPath(new URL("../../server/dist/cli.js", import.meta.url));
// Each lab is a namespace of its own: fixed ports cannot meet another test's.
const OURS = 3700;
const SECOND = 3701;
const SECOND_STATS = 3702;
const DISTCCD = 3632;

/** Runs a command inside the lab (real distcc in a pid namespace of its own: its background browser ends with it). */
function inLab(lab: MdnsLab, argv: string[], env: NodeJS.ProcessEnv, cwd = lab.dir): Promise<RunResult> {
  return run(lab.prefix[0]!, [...lab.prefix.slice(1), ...argv], {
    cwd,
    env: { ...env, DBUS_SYSTEM_BUS_ADDRESS: lab.busAddress },
    timeoutMs: 30_000,
  });
}

function realDistcc(lab: MdnsLab, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return inLab(lab, ["unshare", "-p", "-f", "--kill-child", "distcc", ...args], env);
}

/** A fresh DISTCC_DIR (real distcc caches what it found in DISTCC_DIR/zeroconf). */
let dirs = 0;
function freshDir(lab: MdnsLab): string {
  const dir = join(lab.dir, `distcc-dir-${++dirs}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

interface Started {
  child: ChildProcess;
  log(): string;
  /** SIGTERM, and the exit. */
  stop(): Promise<void>;
}

function collect(child: ChildProcess): () => string {
  let log = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (log += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
  return () => log;
}

/** Waits for `check` (processes start and multicast answers come on a loaded machine: 20 s at most). */
function until(what: string, check: () => Promise<boolean> | boolean): Promise<true> {
  return waitFor(what, check, { timeoutMs: 20_000, intervalMs: 200 });
}

/** The seed's helper command, `distcc-server --zeroconf --allow-private` (on its own port, logging). */
async function startOurs(
  lab: MdnsLab,
  port: number,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<Started> {
  const child = lab.start(
    process.execPath,
    [SERVER_CLI, "--zeroconf", "--allow-private", "--port", String(port), "--log-stderr", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { XDG_CACHE_HOME: join(lab.dir, "server-cache"), ...env },
    },
  );
  const log = collect(child);
  await until(
    `our server on ${port} to register`,
    () => /\(zeroconf\) registered|cannot register/.test(log()) || child.exitCode !== null,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its log:\n${log()}`);
  });
  expect(log()).toMatch(/\(zeroconf\) registered distcc@/);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    log,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

function lines(text: string): string[] {
  return text.split("\n").filter(Boolean);
}

describe("+zeroconf and --zeroconf through an avahi-daemon (lab A)", () => {
  let lab: MdnsLab;
  let ours: Started;
  let distccd: Started | undefined;
  let second: Started | undefined;
  let launcherDir = "";
  const agentDirs: string[] = [];

  beforeAll(async () => {
    lab = await startMdnsLab({ avahi: true });
    launcherDir = makeLinks(join(lab.dir, "links")).dir;
    writeFileSync(join(lab.dir, "x.c"), "int answer(void) { return 42; }\n");
    ours = await startOurs(lab, OURS);
  }, 60_000);

  afterAll(async () => {
    for (const dir of agentDirs) await stopAgent(dir);
    await distccd?.stop();
    await second?.stop();
    await ours?.stop();
    await lab?.stop();
  });

  it("real distcc with DISTCC_HOSTS=+zeroconf lists our server (its subtype _x86-64-linux-gnu--12 is among ours)", async () => {
    const r = await realDistcc(lab, ["--show-hosts"], clientEnv(freshDir(lab), "+zeroconf"));
    expect(r.code, r.stderr).toBe(0);
    expect(
      lines(r.stdout).some((l) => l.endsWith(`:${OURS}/${ours.log().match(/with (\d+) job slots/)?.[1]}`)),
      r.stdout,
    ).toBe(true);
  });

  it("a real distcc whose cc is arm-linux-gnueabihf 12 finds our server (it has Debian's ARM cross gcc), not a real distccd", async () => {
    const child = lab.start(
      "unshare",
      [
        "-p",
        "-f",
        "--kill-child",
        "distccd",
        "--daemon",
        "--no-detach",
        "--zeroconf",
        "--port",
        String(DISTCCD),
        "--allow",
        "10.231.7.0/24",
        "--jobs",
        "3",
        "--log-stderr",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const log = collect(child);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    // Killed with its children (unshare passes no SIGTERM on): Avahi withdraws what a client that
    // left had registered.
    distccd = {
      child,
      log,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        killTree(child.pid!);
        await exited;
      },
    };
    // A native cc sees both (so the ARM one not seeing distccd is its subtype, not a slow browse).
    await until("real distcc (native cc) sees distccd and our server", async () => {
      const r = await realDistcc(lab, ["--show-hosts"], clientEnv(freshDir(lab), "+zeroconf"));
      return (
        lines(r.stdout).some((l) => l.includes(`:${DISTCCD}/3`)) && lines(r.stdout).some((l) => l.includes(`:${OURS}/`))
      );
    });
    const armBin = join(lab.dir, "arm-cc");
    mkdirSync(armBin, { recursive: true });
    writeFileSync(
      join(armBin, "cc"),
      '#!/bin/sh\ncase "$1" in -dumpmachine) echo arm-linux-gnueabihf;; -dumpversion) echo 12;; *) exec arm-linux-gnueabihf-gcc "$@";; esac\n',
      { mode: 0o755 },
    );
    const env = clientEnv(freshDir(lab), "+zeroconf", { PATH: `${armBin}:${process.env.PATH}` });
    const r = await realDistcc(lab, ["--show-hosts"], env);
    expect(r.code, r.stderr).toBe(0);
    expect(
      lines(r.stdout).filter((l) => l.includes(`:${OURS}/`)),
      r.stdout,
    ).toHaveLength(1);
    expect(r.stdout).not.toContain(`:${DISTCCD}/`);
  });

  it("our client lists a real distccd --zeroconf and our server; doctor says it browses through Avahi", async () => {
    const env = clientEnv(freshDir(lab), "+zeroconf");
    const show = await inLab(lab, [process.execPath, CLI, "--show-hosts"], env);
    expect(show.code, show.stderr).toBe(0);
    const found = lines(show.stdout);
    expect(
      found.filter((l) => l.endsWith(`:${DISTCCD}/3`)),
      show.stdout,
    ).toHaveLength(1);
    expect(
      found.filter((l) => new RegExp(`^10\\.231\\.7\\.[12]:${OURS}/\\d+$`).test(l)),
      show.stdout,
    ).toHaveLength(1);
    const jobs = await inLab(lab, [process.execPath, CLI, "-j"], env);
    expect(Number(jobs.stdout)).toBeGreaterThanOrEqual(3 + 1);
    const doctor = await inLab(lab, [process.execPath, CLI, "doctor", "gcc"], env);
    expect(doctor.stdout).toMatch(
      /^\+zeroconf: browsing _distcc\._tcp through Avahi \(avahi 0\.\d+\) on the system D-Bus$/m,
    );
    expect(doctor.stdout).toMatch(new RegExp(`:${OURS}/\\d+: reachable, our distcc-server`));
    expect(doctor.stdout).toMatch(new RegExp(`:${DISTCCD}/3: reachable, a distccd`));
  });

  it("our client compiles on our server found by +zeroconf alone; mon and summary show what it found", async () => {
    await distccd?.stop(); // its D-Bus connection closes: Avahi withdraws it
    const distccDir = freshDir(lab);
    agentDirs.push(distccDir);
    const env = clientEnv(distccDir, "+zeroconf", { PATH: `${launcherDir}:${process.env.PATH}` });
    await until(
      "distccd's record is gone",
      async () => !(await inLab(lab, [process.execPath, CLI, "--show-hosts"], env)).stdout.includes(`:${DISTCCD}/`),
    );
    const cc = await inLab(lab, ["gcc", "-c", "x.c", "-o", "x.o"], env);
    expect(cc.code, cc.stderr).toBe(0);
    expect(cc.stderr).toBe("");
    const summary = await inLab(lab, [process.execPath, CLI, "summary"], env);
    expect(summary.stdout).toMatch(new RegExp(`10\\.231\\.7\\.[12]:${OURS}\\s+1 job\\b`));
    expect(summary.stdout).toMatch(/\+zeroconf \(Avahi .*\): 1 helper found: 10\.231\.7\.[12]:3700\/\d+ \(distcc@/);
    expect(ours.log()).toMatch(/COMPILE_OK/);
    const mon = await inLab(lab, [process.execPath, CLI, "mon", "--once"], env);
    expect(mon.stdout).toMatch(/^\+zeroconf \(Avahi .*\): 1 helper found/m);
    // The farm view asks the helpers the agent found (this one serves no --stats: shown as such).
    const farm = await inLab(lab, [process.execPath, CLI, "mon", "--once", "--farm"], env);
    expect(farm.stdout, farm.stderr).toMatch(new RegExp(`10\\.231\\.7\\.[12]:${OURS}`));
  });

  it("the running agent takes a new helper in (its --stats port from TXT in mon --farm) and drops one that stops (its goodbye, well within the TTL)", async () => {
    const distccDir = agentDirs[0]!;
    const env = clientEnv(distccDir, "+zeroconf", { PATH: `${launcherDir}:${process.env.PATH}` });
    const mon = async (): Promise<string> => (await inLab(lab, [process.execPath, CLI, "mon", "--once"], env)).stdout;
    second = await startOurs(lab, SECOND, {}, ["--stats", "--stats-port", String(SECOND_STATS)]);
    await until("the agent finds the second server", async () =>
      new RegExp(`\\+zeroconf .*2 helpers found: .*:${SECOND}/`).test(await mon()),
    );
    // Its x_stats TXT key says where its /json is (not 3633): the farm view has its figures.
    const farm = (await inLab(lab, [process.execPath, CLI, "mon", "--once", "--farm"], env)).stdout;
    expect(farm).toMatch(new RegExp(`^10\\.231\\.7\\.[12]:${SECOND}\\s+0/\\d+\\s+0\\s`, "m"));
    await second.stop();
    expect(second.log()).toMatch(/SIGTERM/);
    await until("the agent drops the stopped server", async () => /\+zeroconf .*: 1 helper found/.test(await mon()));
    expect(await mon()).not.toMatch(new RegExp(`helper.*:${SECOND}/`));
    // A real distcc no longer sees it either.
    const r = await realDistcc(lab, ["--show-hosts"], clientEnv(freshDir(lab), "+zeroconf"));
    expect(r.stdout).not.toContain(`:${SECOND}/`);
    expect(r.stdout).toContain(`:${OURS}/`);
  });

  it("when the avahi-daemon restarts, our server registers again and the running agent browses again", async () => {
    const env = clientEnv(agentDirs[0]!, "+zeroconf");
    const mon = async (): Promise<string> => (await inLab(lab, [process.execPath, CLI, "mon", "--once"], env)).stdout;
    await lab.restartAvahi();
    // The new daemon knows nothing of the old one's registrations: a fresh real distcc finds ours again.
    await until("a real distcc finds our server through the new daemon", async () =>
      (await realDistcc(lab, ["--show-hosts"], clientEnv(freshDir(lab), "+zeroconf"))).stdout.includes(`:${OURS}/`),
    );
    // The agent's browse was opened again: a server registered since the restart joins its list.
    second = await startOurs(lab, SECOND);
    await until("the running agent finds the server started after the restart", async () =>
      new RegExp(`\\+zeroconf .*2 helpers found: .*:${SECOND}/`).test(await mon()),
    );
    expect(ours.child.exitCode).toBeNull();
  });
});

describe("+zeroconf and --zeroconf without an avahi-daemon: mDNS from the programs themselves (lab B)", () => {
  let lab: MdnsLab;
  let ours: Started;
  let second: Started | undefined;
  const agentDirs: string[] = [];
  // Records published with a 3 s TTL (bonjour-service's SRV is 120 s): the agent must renew them to
  // keep a helper, and drops a killed one within seconds.
  const shortTtl = { DISTCC_ZEROCONF_TEST_TTL: "3" };

  beforeAll(async () => {
    lab = await startMdnsLab({ avahi: false });
    writeFileSync(join(lab.dir, "x.c"), "int answer(void) { return 42; }\n");
    ours = await startOurs(lab, OURS, shortTtl);
  }, 60_000);

  afterAll(async () => {
    for (const dir of agentDirs) await stopAgent(dir);
    await second?.stop();
    await ours?.stop();
    await lab?.stop();
  });

  it("the server registers from its own process, our client finds it and compiles there; doctor says so", async () => {
    expect(ours.log()).toMatch(
      /registered distcc@\S+ \(_distcc\._tcp, port 3700\) through mDNS from this process .*no avahi-daemon on the system D-Bus/,
    );
    const distccDir = freshDir(lab);
    agentDirs.push(distccDir);
    const launcherDir = makeLinks(join(lab.dir, "links")).dir;
    const env = clientEnv(distccDir, "+zeroconf", { PATH: `${launcherDir}:${process.env.PATH}` });
    const show = await inLab(lab, [process.execPath, CLI, "--show-hosts"], env);
    expect(
      lines(show.stdout).filter((l) => new RegExp(`^10\\.231\\.7\\.[12]:${OURS}/\\d+$`).test(l)),
      show.stdout + show.stderr,
    ).toHaveLength(1);
    const doctor = await inLab(lab, [process.execPath, CLI, "doctor", "gcc"], env);
    expect(doctor.stdout).toMatch(
      /^\+zeroconf: browsing _distcc\._tcp through mDNS from this process \(bonjour-service; no avahi-daemon on the system D-Bus\)/m,
    );
    const cc = await inLab(lab, ["gcc", "-c", "x.c", "-o", "x.o"], env);
    expect(cc.code, cc.stderr).toBe(0);
    expect(cc.stderr).toBe("");
    const summary = await inLab(lab, [process.execPath, CLI, "summary"], env);
    expect(summary.stdout).toMatch(new RegExp(`10\\.231\\.7\\.[12]:${OURS}\\s+1 job\\b`));
  });

  it("a server killed with SIGKILL (no goodbye) leaves the agent's list when its records' TTL runs out; live ones stay", async () => {
    const env = clientEnv(agentDirs[0]!, "+zeroconf");
    const mon = async (): Promise<string> => (await inLab(lab, [process.execPath, CLI, "mon", "--once"], env)).stdout;
    second = await startOurs(lab, SECOND, shortTtl);
    await until("the agent finds the second server", async () =>
      new RegExp(`\\+zeroconf .*2 helpers found: .*:${SECOND}/`).test(await mon()),
    );
    // Three TTLs later both are still there: the agent asked again and their answers renewed them.
    await new Promise((r) => setTimeout(r, 9000));
    expect(await mon()).toMatch(new RegExp(`\\+zeroconf .*2 helpers found: .*:${OURS}/.*:${SECOND}/`));
    second.child.kill("SIGKILL");
    await second.stop();
    await until("the agent drops the killed server", async () => /\+zeroconf .*: 1 helper found/.test(await mon()));
    expect(await mon()).toMatch(new RegExp(`\\+zeroconf .*: 1 helper found: .*:${OURS}/`));
  });
});
