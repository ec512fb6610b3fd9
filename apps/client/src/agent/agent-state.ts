import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { formatHostList, type HostList } from "@x/distcc-hosts";
import { CpuPressure, SchedulerError, SpeedModel } from "@x/distcc-scheduler";
import { errorMessage, isErrno } from "../errno.js";
import { IdentityCache, type CompilerIdentity } from "@x/distcc-toolchain";
import type { AgentPaths } from "../agent-paths.js";
import { findCompiler } from "../invocation.js";
import { envBoolean, type ClientOptions } from "../env-options.js";
import { AgentMonitor, writeAtomically } from "../mon/agent-monitor.js";
import type { ZeroconfStatus } from "../mon/status.js";
import { localCountsAsPlace, PlacementDriver, policyName } from "./placement.js";
import { PumpModes } from "./pump-modes.js";
import { PumpState } from "./pump-plan.js";
import { prepareScratchDir, removeScratchDir } from "./scratch-dir.js";
import { SlotBroker, type Chooser } from "./slot-broker.js";
import { ZeroconfHosts } from "../zeroconf-hosts.js";

/**
 * Everything the agent keeps between jobs: the schedulers (slots, backoff, learned speeds), the cpp
 * pool, compiler identities, what it already told the user. Owned by one agent; nothing global.
 */
export class AgentState {
  /** Pools outside the scheduler: the local cpp pool (`--localslots_cpp`), and local work without a host list. */
  readonly slots = new SlotBroker();
  readonly identities: IdentityCache;
  /** Realpaths of the launchers that talked to us: never picked as "the real compiler". */
  readonly selfPaths: string[] = [];
  private readonly said = new Set<string>();
  private readonly saidInBuild = new Map<string, number>();
  /** Schedulers by host-list key, least recently used first; see `pruneDrivers`. */
  private readonly drivers = new Map<string, { driver: PlacementDriver; monitorKey: string; zeroconf: boolean }>();
  private driverSerial = 0;
  /** What the scheduler learned of every place, shared by all host lists, kept under DISTCC_DIR. */
  readonly model: SpeedModel;
  readonly modelFile: string;
  /** Whether this machine's CPU is saturated, from the preprocessors' wall and CPU times. */
  readonly cpuPressure = new CpuPressure();
  private modelSavedAt = 0;
  /** Figures for `mon`, `summary` and the diagnostics channels. */
  readonly monitor: AgentMonitor;
  readonly stats = { remote: 0 };
  /** Pump mode's include analysis and compressed files, kept across jobs. */
  readonly pump = new PumpState();
  /** Per `,cpp` host, pump or plain mode from the helper's and this machine's measured times. */
  readonly pumpModes = new PumpModes();
  /** What went wrong while the agent started (said once, by its first job). */
  readonly problems: string[] = [];
  private tempId = 0;

  private readonly compilers = new Map<string, { path: string | undefined; at: number }>();

  /** `findCompiler`, remembered for a few seconds: every job of a build asks the same question. */
  findCompilerCached(name: string, path: string, cwd: string, selves: string[]): string | undefined {
    const key = `${name}\0${path}\0${cwd}\0${selves.join("\0")}`;
    const now = Date.now();
    const hit = this.compilers.get(key);
    if (hit && now - hit.at < 5000) return hit.path;
    const found = findCompiler(name, path, cwd, selves);
    if (this.compilers.size > 256) this.compilers.clear();
    this.compilers.set(key, { path: found, at: now });
    return found;
  }

  private readonly identityMemo = new Map<string, { at: number; identity: Promise<CompilerIdentity> }>();

  /**
   * `identities.get`, remembered for a few seconds: every job of a build asks about the same compiler,
   * and each answer from the cache costs a lookup on PATH, a stat and a realpath.
   */
  readonly recentIdentities: Pick<IdentityCache, "get"> = {
    get: (path: string): Promise<CompilerIdentity> => {
      const now = Date.now();
      const hit = this.identityMemo.get(path);
      if (hit && now - hit.at < 5000) return hit.identity;
      const identity = this.identities.get(path);
      if (this.identityMemo.size > 64) this.identityMemo.clear();
      this.identityMemo.set(path, { at: now, identity });
      return identity;
    },
  };

  #scratchDir: string | undefined;

  /** Where preprocessed files go (see prepareScratchDir); made on first use, removed by `close`. */
  get scratchDir(): string {
    this.#scratchDir ??= prepareScratchDir(this.paths);
    return this.#scratchDir;
  }

  /** A fresh number for this agent's private temporary files. */
  nextTempId(): number {
    return ++this.tempId;
  }

  constructor(readonly paths: AgentPaths) {
    this.identities = new IdentityCache({ file: join(paths.stateDir, "compilers.json") });
    this.modelFile = join(paths.stateDir, "scheduler-model.json");
    this.model = loadModel(this.modelFile, this.problems);
    this.monitor = new AgentMonitor({
      statusFile: join(paths.agentDir, "status.json"),
      onBuildEnd: () => this.saveModel(),
      cpuPressure: this.cpuPressure,
    });
  }

  /** Writes the learned model (atomically); it decays by itself, so an old file only weighs little. */
  saveModel(): void {
    this.modelSavedAt = Date.now();
    writeAtomically(this.modelFile, `${JSON.stringify(this.model.toJSON())}\n`);
  }

  #zeroconf: Promise<ZeroconfHosts | undefined> | undefined;

  /**
   * The browse behind `+zeroconf`, started by the first job that needs it and kept while the agent
   * runs (helpers that leave drop out, new ones join the running build). That first job waits for
   * the first answers (about a second); undefined when no backend can be used (said once).
   */
  zeroconf(env: Record<string, string | undefined>): Promise<ZeroconfHosts | undefined> {
    this.#zeroconf ??= ZeroconfHosts.open(env).then(
      async (z) => {
        const read = (): ZeroconfStatus => ({
          backend: z.describe(),
          helpers: z.helpers().map((h) => ({ spec: h.spec, name: h.name, ...statsPortOf(h.txt) })),
        });
        this.monitor.setZeroconf(read);
        // Published at each change, so `mon` shows helpers coming and going between jobs too.
        z.browser.onChange(() => this.monitor.setZeroconf(read));
        await z.browser.settled;
        return z;
      },
      (err: unknown) => {
        this.problems.push(`+zeroconf: no DNS-SD backend: ${errorMessage(err)}`);
        this.monitor.setZeroconf(() => ({ backend: `none: ${errorMessage(err)}`, helpers: [] }));
        return undefined;
      },
    );
    return this.#zeroconf;
  }

  /** The agent is leaving: keep what was learned, publish the last figures. */
  close(): void {
    void this.#zeroconf?.then((z) => z?.close());
    this.monitor.close();
    this.saveModel();
    if (this.#scratchDir !== undefined) removeScratchDir(this.#scratchDir, this.paths);
  }

  noteLauncher(self: string): void {
    if (self && !this.selfPaths.includes(self)) this.selfPaths.push(self);
  }

  /**
   * Runs `say` the first time `key` is seen in the current build (the monitor's: jobs with no quiet
   * gap of 2 s between them, the same split as `summary`); returns whether it ran.
   */
  oncePerBuild(key: string, say: () => void): boolean {
    const build = this.monitor.currentBuild();
    if (this.saidInBuild.get(key) === build) return false;
    if (this.saidInBuild.size > 1024) this.saidInBuild.clear();
    this.saidInBuild.set(key, build);
    say();
    return true;
  }

  /** Why each host failed last (place id -> reason): named again when a later build skips it. */
  readonly lastFailure = new Map<string, string>();
  /** Hosts whose stopped, never-connected attempt is being followed up (probeUnconnectedHost). */
  readonly probing = new Set<string>();
  /** `host:port\0compiler` pairs that compiled in this agent's life: a silent close there is not a refusal. */
  readonly served = new Set<string>();

  /** Runs `say` the first time `key` is seen in this agent's life; returns whether it ran. */
  once(key: string, say: () => void): boolean {
    if (this.said.has(key)) return false;
    this.said.add(key);
    say();
    return true;
  }

  recordSuccess(host: string, compiler: string): void {
    this.stats.remote++;
    if (this.served.size > 4096) this.served.clear();
    this.served.add(`${host}\0${compiler}`);
  }

  localPool(kind: "local" | "cpp", limit: number): Chooser {
    const placeId = `localhost_${kind}`;
    return () => ({ placeId, limit: Math.max(1, limit) });
  }

  /** One scheduler per distinct host list (jobs of one build share it, so limits hold across them). */
  placement(list: HostList, env: Record<string, string | undefined>, opts: ClientOptions): PlacementDriver {
    const policy = policyName(list, env);
    const summary = env.DISTCC_SUMMARY?.trim();
    if (summary) {
      // DISTCC_SUMMARY=1: DISTCC_DIR/build-summary.txt; an absolute path: that file.
      this.monitor.requestSummary(isAbsolute(summary) ? summary : join(this.paths.stateDir, "build-summary.txt"));
    }
    const localIsAPlace = localCountsAsPlace(list, policy, opts.fallback);
    // --randomize shuffles at every parse: the key must not depend on that order.
    const hosts = list.randomize
      ? list.hosts
          .map((h) => h.spec)
          .sort()
          .join(" ")
      : formatHostList(list);
    // Straggler copies belong to the earliest-finish policy; distcc's order never makes any.
    const copies = policy === "fastest" && envBoolean(env, "DISTCC_STRAGGLERS", true);
    const key = `${hosts}\0${list.localSlots}\0${policy}\0${opts.backoffPeriodMs}\0${localIsAPlace}\0${copies}`;
    const known = this.drivers.get(key);
    if (known) {
      // Most recently used last.
      this.drivers.delete(key);
      this.drivers.set(key, known);
      this.pruneDrivers(key);
      return known.driver;
    }
    const driver = new PlacementDriver(list, {
      policy,
      backoffPeriodMs: opts.backoffPeriodMs,
      model: this.model,
      cpuPressure: this.cpuPressure,
      localIsAPlace,
      copies,
    });
    const monitorKey = String(++this.driverSerial);
    const seen = this.monitor.observe(monitorKey, driver.scheduler, driver.names);
    driver.observer = {
      ...seen,
      ended: (...args) => {
        seen.ended?.(...args);
        // Now and then during a long build too (an agent killed mid-build keeps most of it).
        if (Date.now() - this.modelSavedAt > 30_000) this.saveModel();
      },
    };
    this.drivers.set(key, { driver, monitorKey, zeroconf: list.zeroconf === true });
    this.pruneDrivers(key);
    return driver;
  }

  /**
   * Each change of the `+zeroconf` set is a new host list, so a new scheduler: the idle ones of
   * earlier `+zeroconf` lists are stale and go (with their places in `mon`); a busy one stays until a
   * later call finds it idle. Other lists are kept (a user may switch between two) but at most
   * MAX_IDLE_DRIVERS idle ones, least recently used first out. What was learned of each helper
   * lives in the shared model, not in the schedulers.
   */
  private pruneDrivers(current: string): void {
    let idleKept = 0;
    for (const [key, entry] of [...this.drivers].reverse()) {
      if (key === current || !entry.driver.idle) continue;
      if (!entry.zeroconf && ++idleKept <= MAX_IDLE_DRIVERS) continue;
      entry.driver.dispose();
      this.monitor.unobserve(entry.monitorKey);
      this.drivers.delete(key);
    }
  }
}

/** Our servers' `x_stats=PORT` TXT key (their `--stats` port), for `mon --farm`. */
function statsPortOf(txt: Record<string, string>): { statsPort?: number } {
  const port = Number(txt.x_stats);
  return Number.isInteger(port) && port > 0 && port < 65536 ? { statsPort: port } : {};
}

/** Idle schedulers of host lists other than `+zeroconf` ones kept for a switch back (see pruneDrivers). */
const MAX_IDLE_DRIVERS = 8;

/** The model saved by an earlier agent, or a fresh one (no file, or one this version cannot read). */
function loadModel(file: string, problems: string[]): SpeedModel {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return new SpeedModel(); // a first agent
    problems.push(`cannot read ${file} (${errorMessage(err)}): the helpers' speeds are learned afresh`);
    return new SpeedModel();
  }
  try {
    return SpeedModel.fromJSON(JSON.parse(text));
  } catch (err) {
    // Written by another version, or cut short: start afresh (it is only learned speeds).
    if (err instanceof SyntaxError || err instanceof SchedulerError) return new SpeedModel();
    throw err;
  }
}
