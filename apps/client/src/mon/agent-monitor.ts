import { unlinkSync, writeFileSync } from "node:fs";
import { replaceWithoutFlush } from "../agent/write-output.js";
import {
  BuildStats,
  LOCAL_ID,
  type CpuPressure,
  type JobInfo,
  type Lease,
  type Outcome,
  type Scheduler,
} from "@x/distcc-scheduler";
import type { PlacementObserver } from "../agent/placement.js";
import { buildChannel, jobChannel, statusChannel, type JobEvent } from "./channels.js";
import { formatSummary, type AgentStatus, type BuildStatus, type PlaceStatus, type ZeroconfStatus } from "./status.js";
import { isErrno, isLookupMiss } from "../errno.js";
import type { JobMode, ModeDecision } from "../agent/pump-or-plain.js";

export interface AgentMonitorOptions {
  /** Where `mon` and `summary` read the status (the agent's private dir). */
  statusFile?: string;
  /** A build is over after this long without any job (default 2 s). */
  buildGapMs?: number;
  /** Throughput window (default 10 s). */
  rateWindowMs?: number;
  /** Called when a build is over (the agent saves its model then). */
  onBuildEnd?(summary: string): void;
  /** This machine's CPU pressure (the preprocessors' wall over CPU time), shown by `mon`. */
  cpuPressure?: Pick<CpuPressure, "stretch" | "saturatedAt">;
}

interface Build {
  /** 1 for the agent's first build, then 2, ...: what "once per build" messages key on. */
  seq: number;
  startedAt: number;
  endedAt?: number;
  lastActivityAt: number;
  stats: BuildStats;
  localOnly: number;
  /** Jobs (per driver) that failed on a helper: a later local result is a fallback. */
  remoteFailed: Set<string>;
  doneAt: number[];
  /** Where the summary goes when asked (DISTCC_SUMMARY). */
  summaryFiles: Set<string>;
  /** Hosts left out of this build because of an earlier failure: place id -> why. */
  skipped: Map<string, string>;
  /** Jobs that ran here because no host list gives any host. */
  noHosts: number;
  /** Local runs (per driver) that compile again a job a helper failed: run key -> the job's key. */
  redos: Map<string, string>;
  /** `,cpp` hosts that got plain-mode jobs in this build: place id -> how many and why. */
  plainMode: Map<string, { jobs: number; reason: string }>;
}

/**
 * The agent's figures for `mon`, `summary` and the diagnostics channels: per build (jobs separated by
 * a quiet gap) which place compiled what, how long, failures and why; the slots of every place now.
 * Fed by the placement drivers (it is their observer); writes the status file at most every 250 ms,
 * and at once when asked (`writeStatusNow`: `mon` and `summary` ask the running agent, so they see
 * the job that just ended without the agent writing a file after every job, which was a tenth of
 * its CPU per job in a one-job-at-a-time build).
 */
export class AgentMonitor {
  private readonly schedulers = new Map<string, Scheduler>();
  private build: Build | undefined;
  private readonly gapMs: number;
  private readonly rateWindowMs: number;
  private writeTimer: NodeJS.Timeout | undefined;
  private gapTimer: NodeJS.Timeout | undefined;
  private buildSeq = 0;
  /** Jobs running outside every scheduler (no host list): they keep the build open. */
  private unplaced = 0;
  /** Place id -> the name people know it by (the host as written in the host list). */
  private readonly names = new Map<string, string>();

  /** What `+zeroconf` found, asked at each status (the browse keeps it current). */
  private zeroconf: (() => ZeroconfStatus) | undefined;

  /** `+zeroconf` is browsing: `mon` and `summary` show its backend and helpers. */
  setZeroconf(read: () => ZeroconfStatus): void {
    this.zeroconf = read;
    this.flush();
  }

  constructor(private readonly options: AgentMonitorOptions = {}) {
    this.gapMs = options.buildGapMs ?? 2000;
    this.rateWindowMs = options.rateWindowMs ?? 10_000;
  }

  /** An observer for one driver (`key` tells the drivers' job ids apart; `names`: how its places are shown). */
  /** Forgets a scheduler that will not be used again (its places leave `mon` unless another list has them). */
  unobserve(key: string): void {
    if (this.schedulers.delete(key)) this.changed();
  }

  observe(key: string, scheduler: Scheduler, names?: ReadonlyMap<string, string>): PlacementObserver {
    this.schedulers.set(key, scheduler);
    for (const [placeId, name] of names ?? []) this.names.set(placeId, name);
    const id = (jobId: number): string => `${key}\0${jobId}`;
    return {
      submitted: (jobId, job, redoOf) => {
        const b = this.activeBuild();
        if (redoOf !== undefined) b.redos.set(id(jobId), id(redoOf));
        else if (job.localOnly && job.inputBytes === 0) b.localOnly++;
        else b.stats.submitted();
        this.changed();
      },
      granted: () => this.changed(),
      ended: (lease, job, outcome, elapsedMs, redoneHere) =>
        this.ended(id(lease.jobId), lease, job, outcome, elapsedMs, redoneHere),
      hostFailed: (placeId, reason) => {
        // Learned after the fact (the build may be over by then): it belongs to the build that tried the host.
        (this.build ?? this.activeBuild()).stats.failedAttempt(placeId, reason);
        this.changed();
      },
      dropped: (jobId, why) => {
        const b = this.activeBuild();
        if (b.redos.delete(id(jobId))) {
          // A local re-run that never ran: its job is what was cancelled.
        } else if (why === "cancelled") b.stats.cancelled();
        else b.stats.unplaceable(1);
        b.remoteFailed.delete(id(jobId));
        this.changed();
      },
    };
  }

  /**
   * The number of the build running now (a new one starts when the last one is over): messages said
   * "once per build" are keyed on it, so the next build says them again.
   */
  currentBuild(): number {
    const seq = this.activeBuild().seq;
    this.changed();
    return seq;
  }

  /** A host this build leaves out because of an earlier failure (listed by `summary` with why). */
  noteSkipped(placeId: string, why: string): void {
    this.activeBuild().skipped.set(placeId, why);
    this.changed();
  }

  /**
   * A job's pump-or-plain decision for a `,cpp` host (`before`: the host's mode until then): the
   * summary counts the jobs preprocessed here for it and says why, and when it went back to pump.
   */
  noteJobMode(placeId: string, before: JobMode, d: ModeDecision): void {
    const b = this.activeBuild();
    const seen = b.plainMode.get(placeId);
    if (d.mode === "plain") {
      // The reason of a switch (or of the mode it is in) rather than a probe's.
      const reason = !seen || !d.probe ? d.reason : seen.reason;
      b.plainMode.set(placeId, { jobs: (seen?.jobs ?? 0) + 1, reason });
    } else if (seen && before === "plain" && d.hostMode === "pump") {
      b.plainMode.set(placeId, { jobs: seen.jobs, reason: `${seen.reason}; then pump again: ${d.reason}` });
    }
    this.changed();
  }

  /** A job that runs with no host list: part of the build while it runs. Returns its end. */
  unplacedJob(): () => void {
    this.activeBuild().noHosts++;
    this.unplaced++;
    this.changed();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.unplaced--;
      this.activeBuild();
      this.changed();
    };
  }

  /** A job of this build asked for a summary file (DISTCC_SUMMARY). */
  requestSummary(file: string): void {
    this.activeBuild().summaryFiles.add(file);
  }

  /** The figures now (what `mon` shows). */
  status(now = Date.now()): AgentStatus {
    const places = new Map<string, PlaceStatus>();
    let running = 0;
    let waiting = 0;
    let helpersFull: number | undefined;
    for (const scheduler of this.schedulers.values()) {
      const snap = scheduler.snapshot(now);
      running += snap.running;
      waiting += snap.waiting;
      if (snap.helpersFullShare !== undefined) helpersFull = Math.max(helpersFull ?? 0, snap.helpersFullShare);
      for (const p of snap.places) {
        const seen = places.get(p.id);
        // Several host lists naming one host: show the busiest view of it.
        if (seen && seen.inUse >= p.inUse) continue;
        places.set(p.id, {
          id: p.id,
          name: this.names.get(p.id) ?? p.id,
          local: p.local,
          limit: p.limit,
          inUse: p.inUse,
          down: p.down,
          ...(p.backedOffUntil !== undefined ? { backedOffUntil: p.backedOffUntil } : {}),
          ...(p.estimate100k !== undefined ? { estimate100kMs: p.estimate100k } : {}),
          observations: p.observations,
        });
      }
    }
    const ordered = [...places.values()].sort((a, b) => Number(b.local) - Number(a.local) || a.id.localeCompare(b.id));
    const zeroconf = this.zeroconf?.();
    const b = this.build;
    let build: BuildStatus | undefined;
    if (b) {
      while (b.doneAt.length && b.doneAt[0]! < now - this.rateWindowMs) b.doneAt.shift();
      const stats = b.stats.snapshot();
      const names: Record<string, string> = {};
      for (const placeId of [...Object.keys(stats.places), ...b.skipped.keys(), ...b.plainMode.keys()]) {
        const name = this.names.get(placeId);
        if (name !== undefined) names[placeId] = name;
      }
      build = {
        startedAt: b.startedAt,
        ...(b.endedAt !== undefined ? { endedAt: b.endedAt } : {}),
        lastActivityAt: b.lastActivityAt,
        running,
        waiting,
        recentDone: b.doneAt.length,
        rateWindowMs: this.rateWindowMs,
        localOnly: b.localOnly,
        ...(b.noHosts ? { noHosts: b.noHosts } : {}),
        stats,
        names,
        ...(b.skipped.size ? { skipped: Object.fromEntries(b.skipped) } : {}),
        ...(b.plainMode.size ? { plainMode: Object.fromEntries(b.plainMode) } : {}),
        ...(zeroconf ? { zeroconf } : {}),
      };
    }
    const stretch = this.options.cpuPressure?.stretch(now);
    const pressure =
      stretch !== undefined && this.options.cpuPressure
        ? { cpu: { stretch, saturatedAt: this.options.cpuPressure.saturatedAt } }
        : {};
    return {
      version: 1,
      pid: process.pid,
      updatedAt: now,
      ...(build ? { build } : {}),
      places: ordered,
      ...pressure,
      ...(helpersFull !== undefined ? { helpersFullShare: helpersFull } : {}),
      ...(zeroconf ? { zeroconf } : {}),
    };
  }

  /** Writes the status file now (a reader asked: see the class comment). */
  writeStatusNow(): void {
    this.flush();
  }

  /** Stops the timers and writes the last status (the agent is leaving). */
  close(): void {
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (this.build && this.build.endedAt === undefined && !this.busy()) this.endBuild();
    this.flush();
  }

  private ended(
    key: string,
    lease: Lease,
    job: JobInfo,
    outcome: Outcome,
    elapsedMs: number,
    redoneHere?: string,
  ): void {
    const b = this.activeBuild();
    const local = lease.placeId === LOCAL_ID;
    const redoOf = b.redos.get(key);
    const localOnly = job.localOnly === true && job.inputBytes === 0 && redoOf === undefined;
    if (redoOf !== undefined) {
      // The local run of a job a helper failed: that job's result, a fallback.
      b.redos.delete(key);
      b.stats.compiled(LOCAL_ID, elapsedMs, false, true, true);
      b.remoteFailed.delete(redoOf);
      b.doneAt.push(Date.now());
    } else if (redoneHere !== undefined) {
      // Answered, but the job is compiled again here: a failure of that place, not its work.
      b.stats.failedAttempt(lease.placeId, redoneHere);
      b.remoteFailed.add(key);
    } else if (!localOnly) {
      if (outcome.ok) {
        b.stats.compiled(lease.placeId, elapsedMs, lease.duplicate, b.remoteFailed.has(key), local);
        b.remoteFailed.delete(key);
        b.doneAt.push(Date.now());
      } else {
        b.stats.failedAttempt(lease.placeId, outcome.reason ?? "failed");
        if (!local) b.remoteFailed.add(key);
      }
    }
    if (jobChannel.hasSubscribers) {
      const event: JobEvent = {
        placeId: lease.placeId,
        ok: outcome.ok,
        elapsedMs,
        inputBytes: job.inputBytes,
        localOnly,
        ...(!outcome.ok && outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        ...(redoneHere !== undefined ? { reason: redoneHere } : {}),
      };
      jobChannel.publish(event);
    }
    this.changed();
  }

  private activeBuild(): Build {
    const now = Date.now();
    if (this.gapTimer) clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    if (!this.build || this.build.endedAt !== undefined) {
      this.build = {
        seq: ++this.buildSeq,
        startedAt: now,
        lastActivityAt: now,
        stats: new BuildStats(),
        localOnly: 0,
        remoteFailed: new Set(),
        doneAt: [],
        summaryFiles: new Set(),
        skipped: new Map(),
        plainMode: new Map(),
        noHosts: 0,
        redos: new Map(),
      };
    }
    this.build.lastActivityAt = now;
    return this.build;
  }

  private busy(): boolean {
    if (this.unplaced > 0) return true;
    for (const s of this.schedulers.values()) if (s.waiting > 0 || s.leases().length > 0) return true;
    return false;
  }

  private changed(): void {
    const idle = !this.busy();
    if (!this.writeTimer) {
      this.writeTimer = setTimeout(() => this.flush(), 250);
      this.writeTimer.unref?.();
    }
    if (idle && this.build && this.build.endedAt === undefined) {
      if (this.gapTimer) clearTimeout(this.gapTimer);
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        if (!this.busy()) this.endBuild();
      }, this.gapMs);
      this.gapTimer.unref?.();
    }
  }

  private endBuild(): void {
    const b = this.build;
    if (!b || b.endedAt !== undefined) return;
    b.endedAt = b.lastActivityAt;
    const status = this.status();
    const summary = status.build ? formatSummary(status.build, Date.now()) : "";
    for (const file of b.summaryFiles) writeAtomically(file, summary);
    if (buildChannel.hasSubscribers) buildChannel.publish({ status: status.build, summary });
    this.options.onBuildEnd?.(summary);
    this.flush();
  }

  private flush(): void {
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    const status = this.status();
    if (statusChannel.hasSubscribers) statusChannel.publish(status);
    if (this.options.statusFile) writeAtomically(this.options.statusFile, `${JSON.stringify(status)}\n`);
  }
}

/**
 * Readers never see half a file (they may briefly see none, and retry). Errors are ignored: figures are
 * best effort, never a build failure. No rename over the old file: see replaceWithoutFlush.
 */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    replaceWithoutFlush(tmp, file);
  } catch (err) {
    // A read-only, full or vanished directory, or something else in the file's place (a directory):
    // nothing to show, nothing lost; the temporary file does not stay.
    if (!isLookupMiss(err) && !isErrno(err, "EROFS", "ENOSPC", "EDQUOT", "EPERM", "EISDIR", "EEXIST", "ENOTEMPTY"))
      throw err;
    try {
      unlinkSync(tmp);
    } catch (cleanup) {
      if (!isLookupMiss(cleanup) && !isErrno(cleanup, "EROFS", "EPERM")) throw cleanup; // else never made
    }
  }
}
