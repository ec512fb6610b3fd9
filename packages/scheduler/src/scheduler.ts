// The scheduler's state machine, kept whole though long: submit, place, copy, finish and back off
// all change the same state, and its invariants are checked by reading them together. The policies
// and the stateless pieces (backoff, load, stats) have files of their own.
import type { CpuPressureView } from "./cpu-pressure.js";
import { Backoff } from "./backoff.js";
import { BuildStats, type BuildStatsSnapshot } from "./build-stats.js";
import { LoadMeter } from "./load-meter.js";
import { Occupancy } from "./occupancy.js";
import { SchedulerError } from "./errors.js";
import { earliestFinishPolicy } from "./policies/earliest-finish.js";
import { SlotTable } from "./slot-table.js";
import { type JobObservation, SpeedModel } from "./speed-model.js";
import { shouldDuplicate } from "./straggler.js";
import {
  LOCAL_ID,
  type HostState,
  type JobInfo,
  type Placement,
  type Policy,
  type RunningJob,
  type SchedulerState,
} from "./types.js";

/** Jobs over which the mean interval between submits is taken. */
const ARRIVAL_MEMORY = 8;
/** Jobs over which a helper's own time per job is averaged. */
const HELPER_MS_MEMORY = 8;

/** A mean that follows the last ~`memory` values: the first value as is, then a 1/memory step toward each. */
function runningMean(mean: number | undefined, value: number, memory: number): number {
  return mean === undefined ? value : mean + (value - mean) / memory;
}
/** A pause between two submits longer than this (ms) ends a build: the interval is measured afresh. */
const ARRIVAL_GAP_MS = 2000;

/** A host of the list as configured (the scheduler keeps the slot counts). */
export interface HostEntry {
  readonly id: string;
  readonly limit: number;
  readonly down?: boolean;
  /** A `localhost[/N]` entry. */
  readonly local?: boolean;
}

export interface SchedulerOptions {
  /** The host list in list order. */
  readonly hosts: readonly HostEntry[];
  /** This machine's pool (`--localslots`; distcc's default is 4). */
  readonly localSlots: number;
  /** Default: `earliestFinishPolicy()`. */
  readonly policy?: Policy;
  /** Default: a fresh `SpeedModel` (pass a restored one to keep what was learned). */
  readonly model?: SpeedModel;
  /**
   * Whether this machine's CPU is saturated now (e.g. a `CpuPressure` fed with the preprocessors'
   * wall and CPU times). Without it, this machine is never taken as saturated.
   */
  readonly cpuPressure?: CpuPressureView;
  /** Default: `new Backoff()` (60 s). */
  readonly backoff?: Backoff;
  /** Remote attempts per job before it must run locally (default 3; never distcc's endless loop). */
  readonly maxRemoteAttempts?: number;
  /** Times a waiting job may be overtaken before it takes any free slot (default 16). */
  readonly maxBypass?: number;
  /** Margin for straggler copies (see `shouldDuplicate`; default 2). */
  readonly duplicateMargin?: number;
}

/** A slot granted to a job. `jobId` groups the leases of one job (a straggler copy has its own lease). */
export interface Lease {
  readonly id: number;
  readonly jobId: number;
  readonly placement: Exclude<Placement, { kind: "wait" }>;
  /** `localhost` or the host id. */
  readonly placeId: string;
  readonly startedAt: number;
  readonly expectedEndAt?: number;
  /** A straggler copy (the job also runs elsewhere). */
  readonly duplicate: boolean;
}

/** How an attempt ended. */
export type Outcome =
  /** The place produced a result (the compiler's verdict, whatever it is). */
  | {
      readonly ok: true;
      /** Wall ms from grant to result; default `now - lease.startedAt`. */
      readonly elapsedMs?: number;
      readonly transferMs?: number;
      /**
       * For a remote job: the helper's own time, from the request's last byte sent to the answer's
       * first byte (its queue and compile, none of this machine's sending and reading). Tells how
       * much work the helpers could take when this machine is slow to feed them. Optional.
       */
      readonly compileMs?: number;
      /**
       * For a remote job: ms it kept this machine busy before the send (preprocessing). Lets the
       * policy expect a local compile to share the CPU with the jobs in flight. Optional.
       */
      readonly clientMs?: number;
    }
  /** The place failed (connect, protocol, server error): backoff, and the job is placed again. */
  | {
      readonly ok: false;
      /** Run it on this machine next (distcc's local retry after a remote compile error). */
      readonly retryLocally?: boolean;
      readonly reason?: string;
    };

/** What changed: new slots to use now, and copies to abort (their job was won elsewhere). */
export interface Update {
  readonly granted: readonly Lease[];
  readonly cancelled: readonly Lease[];
  /**
   * Jobs dropped from the queue because no place can ever take them (every host failed them or is
   * `,down`, and this machine has no slot). The caller reports them (distcc: exit 116).
   */
  readonly failed: readonly number[];
}

export interface SubmitResult extends Update {
  readonly jobId: number;
  /** This job's lease if it was placed at once (also listed in `granted`). */
  readonly lease?: Lease;
}

interface JobRecord {
  readonly id: number;
  info: JobInfo;
  remoteAttempts: number;
  remoteFailed: boolean;
  bypassed: number;
  readonly leases: Set<number>;
  /** Places where an attempt of this job failed while another one ran on: no copy goes there again. */
  failedAt?: Set<string>;
}

/** Figures for a live view (`mon`) or a diagnostics channel. */
export interface SchedulerSnapshot {
  readonly now: number;
  readonly waiting: number;
  readonly running: number;
  readonly places: readonly {
    readonly id: string;
    readonly local: boolean;
    readonly limit: number;
    readonly inUse: number;
    readonly down: boolean;
    readonly backedOffUntil?: number;
    /** Expected ms for a 100 KiB job, if known. */
    readonly estimate100k?: number;
    readonly observations: number;
  }[];
  /** See SchedulerState.helpersFullShare. */
  readonly helpersFullShare?: number;
}

/**
 * The scheduler an agent drives: slots per place, FIFO waiters, backoff, the learned model and a
 * policy. Pure: no clock (every call takes `now` in ms), no timers, no I/O. The caller runs the jobs
 * and reports back; every call returns the slots it may use now.
 */
export class Scheduler {
  readonly model: SpeedModel;
  readonly backoff: Backoff;
  readonly policy: Policy;
  readonly cpuPressure: CpuPressureView | undefined;
  readonly #slots = new SlotTable();
  #hosts: readonly HostEntry[] = [];
  #localSlots = 0;
  /** How much of the recent time every helper slot was taken (see SchedulerState.helpersFullShare). */
  readonly #helpersFull = new Occupancy();
  readonly #jobs = new Map<number, JobRecord>();
  readonly #leases = new Map<number, Lease>();
  #queue: JobRecord[] = [];
  #nextJob = 1;
  #nextLease = 1;
  readonly #maxRemoteAttempts: number;
  readonly #maxBypass: number;
  readonly #duplicateMargin: number;
  /** Each place's load over time (this machine's counts remote jobs' preprocessing). */
  readonly #load = new LoadMeter((id, now) => this.#slots.inUse(id) + (id === LOCAL_ID ? this.#localExtra(now) : 0));
  readonly #stats = new BuildStats();
  /** Time of the last `submit` and the decaying mean interval between submits (see `state`). */
  #lastSubmitAt: number | undefined;
  #arrivalMs: number | undefined;
  /**
   * Per helper: its own time per job (Outcome.compileMs), a mean over its last ~HELPER_MS_MEMORY jobs.
   * Kept as the record SchedulerState.helperMs hands to the policy (no copy per decision).
   */
  readonly #helperMs: Record<string, number> = Object.create(null) as Record<string, number>;

  constructor(options: SchedulerOptions) {
    this.model = options.model ?? new SpeedModel();
    this.backoff = options.backoff ?? new Backoff();
    this.policy = options.policy ?? earliestFinishPolicy();
    this.cpuPressure = options.cpuPressure;
    this.#maxRemoteAttempts = options.maxRemoteAttempts ?? 3;
    this.#maxBypass = options.maxBypass ?? 16;
    this.#duplicateMargin = options.duplicateMargin ?? 2;
    this.setHosts(options.hosts, options.localSlots);
  }

  /** Replaces the host list (a reload). Held slots stay valid; lowered limits drain. */
  setHosts(hosts: readonly HostEntry[], localSlots = this.#localSlots): void {
    if (!Number.isInteger(localSlots) || localSlots < 0) {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_LIMIT", `localSlots must be an integer >= 0, got ${localSlots}`);
    }
    this.#hosts = hosts.map((h) => ({ ...h }));
    this.#localSlots = localSlots;
    let localLimit = localSlots;
    const limits = new Map<string, number>();
    for (const h of hosts) {
      if (h.local) localLimit = Math.max(localLimit, h.limit);
      else limits.set(h.id, Math.max(limits.get(h.id) ?? 0, h.limit));
    }
    limits.set(LOCAL_ID, localLimit);
    for (const id of this.#slots.ids()) if (!limits.has(id)) this.#slots.setLimit(id, 0);
    for (const [id, limit] of limits) this.#slots.setLimit(id, limit);
  }

  /** Asks for a place for a new job. It may be placed at once, or wait for a later `Update`. */
  submit(job: JobInfo, now: number): SubmitResult {
    const record: JobRecord = {
      id: this.#nextJob++,
      info: job,
      remoteAttempts: 0,
      remoteFailed: false,
      bypassed: 0,
      leases: new Set(),
    };
    this.#jobs.set(record.id, record);
    this.#stats.submitted();
    this.#noteArrival(now);
    this.#queue.push(record);
    const { granted, failed } = this.#dispatch(now);
    const lease = granted.find((l) => l.jobId === record.id);
    return { jobId: record.id, granted, cancelled: [], failed, ...(lease ? { lease } : {}) };
  }

  /** Reports how an attempt ended, frees its slot and places waiting jobs. */
  finish(leaseId: number, outcome: Outcome, now: number): Update {
    const lease = this.#leases.get(leaseId);
    if (!lease) throw new SchedulerError("DISTCC_SCHED_ERR_UNKNOWN_LEASE", `no lease ${leaseId}`);
    const job = this.#jobs.get(lease.jobId)!;
    const concurrency = this.#load.mean(lease.id, lease.placeId, lease.startedAt, now);
    this.#release(lease, job, now);
    const cancelled: Lease[] = [];
    const remote = lease.placement.kind === "remote";
    if (outcome.ok) {
      const elapsedMs = outcome.elapsedMs ?? Math.max(0, now - lease.startedAt);
      // The helper's own part excludes what the job cost this machine (learned apart, see observeClient).
      const clientMs =
        remote && outcome.clientMs !== undefined ? Math.min(elapsedMs, Math.max(0, outcome.clientMs)) : 0;
      const observation: JobObservation = {
        placeId: lease.placeId,
        inputBytes: job.info.inputBytes,
        elapsedMs: elapsedMs - clientMs,
        concurrency,
        ...(outcome.transferMs !== undefined ? { transferMs: outcome.transferMs } : {}),
        ...(outcome.compileMs !== undefined ? { compileMs: outcome.compileMs } : {}),
      };
      // A job of unknown size (a link, a non-distributable run: `inputBytes: 0`) says nothing of a
      // place's compile speed, and a long link would skew this machine's estimate.
      if (job.info.inputBytes > 0) this.model.observe(observation, now);
      this.#stats.compiled(lease.placeId, elapsedMs, lease.duplicate, job.remoteFailed, !remote);
      if (remote && outcome.clientMs !== undefined) this.model.observeClient(clientMs, elapsedMs, now);
      if (remote) this.backoff.succeed(lease.placeId);
      if (remote && outcome.compileMs !== undefined && outcome.compileMs >= 0)
        this.#noteHelperMs(lease.placeId, outcome.compileMs);
      for (const other of [...job.leases]) {
        const copy = this.#leases.get(other)!;
        this.#learnFromLoser(copy, job, now);
        this.#release(copy, job, now);
        cancelled.push(copy);
      }
      this.#jobs.delete(job.id);
    } else {
      if (remote) this.backoff.fail(lease.placeId, now);
      this.#stats.failedAttempt(lease.placeId, outcome.reason ?? "failed");
      if (remote) job.remoteFailed = true;
      // A failed local attempt has nowhere better to go: the job ends and the caller reports it.
      if (job.leases.size === 0 && remote) this.#requeue(job, lease, outcome.retryLocally === true);
      else if (job.leases.size === 0) this.#jobs.delete(job.id);
      // Another attempt runs on: a copy that failed here (one that cannot run on this machine, say)
      // must not be offered again at the same place, or it would fail again at once, forever.
      else {
        job.failedAt ??= new Set();
        job.failedAt.add(lease.placeId);
      }
    }
    return { ...this.#dispatch(now), cancelled };
  }

  /** The job's client went away (Ctrl-C): drops it from the queue and frees all its slots. */
  cancel(jobId: number, now: number): Update {
    const job = this.#jobs.get(jobId);
    if (!job) throw new SchedulerError("DISTCC_SCHED_ERR_UNKNOWN_JOB", `no job ${jobId}`);
    const cancelled: Lease[] = [];
    for (const id of [...job.leases]) {
      const lease = this.#leases.get(id)!;
      this.#release(lease, job, now);
      cancelled.push(lease);
    }
    this.#queue = this.#queue.filter((j) => j !== job);
    this.#jobs.delete(jobId);
    this.#stats.cancelled();
    return { ...this.#dispatch(now), cancelled };
  }

  /**
   * When to call `poll` next: the earliest end of a backoff while jobs wait (a waiting job may then go
   * to that host); undefined when nothing waits or no backoff is running. Lets the caller arm one timer
   * instead of polling.
   */
  nextPollAt(now: number): number | undefined {
    if (this.#queue.length === 0) return undefined;
    let soonest: number | undefined;
    for (const h of this.#hosts) {
      const until = this.backoff.backedOffUntil(h.id, now);
      if (until !== undefined && (soonest === undefined || until < soonest)) soonest = until;
    }
    return soonest;
  }

  /** Places waiting jobs again (call when time passed: a backoff may have ended). */
  poll(now: number): Update {
    return { ...this.#dispatch(now), cancelled: [] };
  }

  /**
   * Straggler copies worth starting now: a running job whose expected remaining time is well above
   * what a free place would take. Only when nobody waits (a free slot serves the queue first). The
   * caller starts each copy; the first `finish(..., {ok: true})` cancels the others. `canCopy` leaves
   * out jobs the caller could not stop if the copy won (e.g. a compiler it handed over with exec).
   */
  stragglers(now: number, canCopy?: (lease: Lease) => boolean): Lease[] {
    if (this.#queue.length > 0) return [];
    const copies: Lease[] = [];
    const byEnd = [...this.#leases.values()]
      .filter((l) => !l.duplicate && this.#jobs.get(l.jobId)!.leases.size === 1 && (canCopy?.(l) ?? true))
      .sort((a, b) => (b.expectedEndAt ?? 0) - (a.expectedEndAt ?? 0));
    for (const lease of byEnd) {
      const job = this.#jobs.get(lease.jobId)!;
      const alternative = this.#bestFreeElsewhere(job, lease.placeId, now);
      if (!alternative) continue;
      const check = {
        now,
        startedAt: lease.startedAt,
        alternativeMs: alternative.estimate,
        margin: this.#duplicateMargin,
        ...(lease.expectedEndAt !== undefined ? { expectedEndAt: lease.expectedEndAt } : {}),
      };
      if (!shouldDuplicate(check)) continue;
      const copy = this.#grant(job, alternative.placement, now, true);
      if (copy) {
        copies.push(copy);
        this.#stats.copyStarted(copy.placeId);
      }
    }
    return copies;
  }

  /** What the policy sees now. */
  state(now: number): SchedulerState {
    const local = {
      limit: this.#slots.limit(LOCAL_ID),
      inUse: this.#slots.inUse(LOCAL_ID),
      busySlots: this.#slots.busySlots(LOCAL_ID),
    };
    const hosts: HostState[] = this.#hosts.map((h) => {
      if (h.local) return { id: LOCAL_ID, limit: h.limit, inUse: local.inUse, busySlots: local.busySlots, local: true };
      return {
        id: h.id,
        limit: Math.min(h.limit, this.#slots.limit(h.id)),
        inUse: this.#slots.inUse(h.id),
        busySlots: this.#slots.busySlots(h.id),
        ...(h.down ? { down: true } : {}),
      };
    });
    const running: RunningJob[] = [...this.#leases.values()].map((l) => {
      const end = this.#expectedEndNow(l, now);
      return { placeId: l.placeId, startedAt: l.startedAt, ...(end !== undefined ? { expectedEndAt: end } : {}) };
    });
    const fullShare = this.#helpersFull.share(now);
    const helpersFull = fullShare !== undefined ? { helpersFullShare: fullShare } : {};
    return {
      hosts,
      local,
      backoff: this.backoff,
      model: this.model,
      running,
      localLoadExtra: this.#localExtra(now),
      ...helpersFull,
      ...(this.cpuPressure?.saturated(now) ? { localSaturated: true } : {}),
      ...(this.#arrivalMs !== undefined ? { arrivalMs: this.#arrivalMs } : {}),
      helperMs: this.#helperMs,
    };
  }

  /** Figures for a live view. */
  snapshot(now: number): SchedulerSnapshot {
    const places = this.#slots.ids().map((id) => {
      const entry = this.#hosts.find((h) => h.id === id && !h.local);
      const until = this.backoff.backedOffUntil(id, now);
      const estimate = this.model.estimate(id, 100 * 1024, now);
      return {
        id,
        local: id === LOCAL_ID,
        limit: this.#slots.limit(id),
        inUse: this.#slots.inUse(id),
        down: entry?.down === true,
        ...(until !== undefined ? { backedOffUntil: until } : {}),
        ...(estimate !== undefined ? { estimate100k: estimate } : {}),
        observations: this.model.count(id),
      };
    });
    const helpersFullShare = this.#helpersFull.share(now);
    return {
      now,
      waiting: this.#queue.length,
      running: this.#leases.size,
      places,
      ...(helpersFullShare !== undefined ? { helpersFullShare } : {}),
    };
  }

  /** Counters since this scheduler was made: per place jobs, time, failures and why, copies. */
  stats(): BuildStatsSnapshot {
    return this.#stats.snapshot();
  }

  /** Jobs waiting for a slot, oldest first. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Whether the lease is still held (not finished, nor cancelled because its job ended elsewhere). */
  holds(leaseId: number): boolean {
    return this.#leases.has(leaseId);
  }

  /** Leases in flight. */
  leases(): Lease[] {
    return [...this.#leases.values()];
  }

  #requeue(job: JobRecord, failed: Lease, retryLocally: boolean): void {
    const excluded = [...(job.info.excluded ?? []), failed.placeId];
    const localOnly = job.info.localOnly === true || retryLocally || job.remoteAttempts >= this.#maxRemoteAttempts;
    job.info = { ...job.info, excluded, localOnly };
    // It already waited its turn once: back to the front of the queue.
    this.#queue.unshift(job);
  }

  #dispatch(now: number): { granted: Lease[]; failed: number[] } {
    const granted: Lease[] = [];
    const failed: number[] = [];
    const stillWaiting: JobRecord[] = [];
    const queuedFor: Record<string, number> = {};
    for (const job of this.#queue) {
      if (!this.#placeable(job)) {
        failed.push(job.id);
        this.#jobs.delete(job.id);
        continue;
      }
      const urgent = job.bypassed >= this.#maxBypass;
      const info = urgent ? { ...job.info, urgent: true } : job.info;
      const placement = this.policy.choose({ ...this.state(now), queuedFor }, info, now);
      const lease = placement.kind === "wait" ? undefined : this.#grant(job, placement, now, false);
      if (lease) {
        granted.push(lease);
        for (const earlier of stillWaiting) earlier.bypassed++;
      } else {
        stillWaiting.push(job);
        if (placement.kind === "wait" && placement.placeId !== undefined) {
          queuedFor[placement.placeId] = (queuedFor[placement.placeId] ?? 0) + 1;
        }
      }
    }
    this.#queue = stillWaiting;
    this.#stats.unplaceable(failed.length);
    this.#helpersFull.set(this.#everyHelperSlotTaken(now), now);
    return { granted, failed };
  }

  /** Whether at least one helper is usable and every usable helper has all its slots taken. */
  #everyHelperSlotTaken(now: number): boolean {
    let usable = 0;
    for (const h of this.#hosts) {
      if (h.local || h.down || h.limit <= 0 || this.backoff.isBackedOff(h.id, now)) continue;
      usable++;
      if (this.#slots.inUse(h.id) < Math.min(h.limit, this.#slots.limit(h.id))) return false;
    }
    return usable > 0;
  }

  /** Whether some place could ever take the job (backoffs end; `,down` and failed hosts do not). */
  #placeable(job: JobRecord): boolean {
    if (this.#slots.limit(LOCAL_ID) > 0) return true;
    if (job.info.localOnly) return false;
    const excluded = new Set(job.info.excluded ?? []);
    return this.#hosts.some((h) => !h.local && !h.down && h.limit > 0 && !excluded.has(h.id));
  }

  #grant(
    job: JobRecord,
    placement: Exclude<Placement, { kind: "wait" }>,
    now: number,
    duplicate: boolean,
  ): Lease | undefined {
    const placeId = placement.kind === "local" ? LOCAL_ID : placement.hostId;
    if (!this.#slots.has(placeId)) return undefined;
    this.#load.touch(placeId, now);
    this.#load.touch(LOCAL_ID, now);
    const slot = this.#slots.acquire(placeId, placement.slot) ?? this.#slots.acquire(placeId);
    if (slot === undefined) return undefined;
    if (placement.kind === "remote") job.remoteAttempts++;
    const estimate = this.model.estimate(placeId, job.info.inputBytes, now, this.#slots.inUse(placeId));
    const lease: Lease = {
      id: this.#nextLease++,
      jobId: job.id,
      placement: placement.kind === "local" ? { kind: "local", slot } : { kind: "remote", hostId: placeId, slot },
      placeId,
      startedAt: now,
      ...(estimate !== undefined ? { expectedEndAt: now + estimate } : {}),
      duplicate,
    };
    this.#leases.set(lease.id, lease);
    this.#load.start(lease.id, placeId, now);
    job.leases.add(lease.id);
    return lease;
  }

  /**
   * Mean interval between submits, decaying over the last ~ARRIVAL_MEMORY jobs. A gap longer than
   * ARRIVAL_GAP_MS starts afresh: it is a new build, not a slow one (and a pace that slow is left
   * unknown, which the default policy treats like a slow one).
   */
  #noteHelperMs(placeId: string, ms: number): void {
    this.#helperMs[placeId] = runningMean(this.#helperMs[placeId], ms, HELPER_MS_MEMORY);
  }

  #noteArrival(now: number): void {
    const last = this.#lastSubmitAt;
    this.#lastSubmitAt = now;
    if (last === undefined || now - last > ARRIVAL_GAP_MS) {
      this.#arrivalMs = undefined;
      return;
    }
    const gap = Math.max(0, now - last);
    this.#arrivalMs = runningMean(this.#arrivalMs, gap, ARRIVAL_MEMORY);
  }

  /**
   * A lease that lost the race to a copy, at a place with no estimate yet (a first job there, often a
   * probe): it took at least `now - startedAt`, and that lower bound is learned. Otherwise a place
   * whose first jobs are always overtaken would stay unknown and be probed again and again.
   */
  #learnFromLoser(lease: Lease, job: JobRecord, now: number): void {
    if (job.info.inputBytes <= 0 || this.model.estimate(lease.placeId, job.info.inputBytes, now) !== undefined) return;
    const concurrency = this.#load.mean(lease.id, lease.placeId, lease.startedAt, now);
    this.model.observe(
      {
        placeId: lease.placeId,
        inputBytes: job.info.inputBytes,
        elapsedMs: Math.max(0, now - lease.startedAt),
        concurrency,
      },
      now,
    );
  }

  /**
   * When a running job should end, for the policy: from the model at the place's load now, as if it
   * had run at that load all along. The lease keeps its estimate at the load when it started, but
   * jobs added since slow it down (and jobs ended since speed it up): with the old figure, the policy
   * waited for a helper loaded by others as if it would free soon.
   */
  #expectedEndNow(lease: Lease, now: number): number | undefined {
    if (lease.expectedEndAt === undefined) return undefined;
    const job = this.#jobs.get(lease.jobId);
    if (!job) return lease.expectedEndAt;
    const load = this.#slots.inUse(lease.placeId) + (lease.placeId === LOCAL_ID ? this.#localExtra(now) : 0);
    const estimate = this.model.estimate(lease.placeId, job.info.inputBytes, now, Math.max(1, load));
    if (estimate === undefined) return lease.expectedEndAt;
    return lease.startedAt + estimate;
  }

  /** Load on this machine from remote jobs' preprocessing, in jobs. */
  #localExtra(now: number): number {
    let remote = 0;
    for (const l of this.#leases.values()) if (l.placement.kind === "remote") remote++;
    return remote * this.model.clientShare(now);
  }

  #release(lease: Lease, job: JobRecord, now: number): void {
    this.#load.touch(lease.placeId, now);
    this.#load.touch(LOCAL_ID, now);
    this.#load.end(lease.id);
    this.#slots.release(lease.placeId, lease.placement.slot);
    this.#leases.delete(lease.id);
    job.leases.delete(lease.id);
  }

  #bestFreeElsewhere(
    job: JobRecord,
    busyAt: string,
    now: number,
  ): { placement: Exclude<Placement, { kind: "wait" }>; estimate: number } | undefined {
    const excluded = new Set([...(job.info.excluded ?? []), ...(job.failedAt ?? []), busyAt]);
    let best: { placement: Exclude<Placement, { kind: "wait" }>; estimate: number } | undefined;
    const consider = (placeId: string, local: boolean): void => {
      if (excluded.has(placeId) || !this.#slots.has(placeId)) return;
      // Only an idle place: a copy must not slow the jobs already running there.
      if (this.#slots.inUse(placeId) > 0 || this.#slots.limit(placeId) === 0) return;
      // On this machine a copy shares the CPU with the preprocessing of the jobs in flight, and slows it.
      const extra = local ? this.#localExtra(now) : 0;
      const at = this.model.estimate(placeId, job.info.inputBytes, now, 1 + extra);
      const alone = this.model.estimate(placeId, job.info.inputBytes, now, 1);
      if (at === undefined || alone === undefined) return;
      const estimate = at + extra * alone;
      if (best && best.estimate <= estimate) return;
      const slot = this.#slots.busySlots(placeId).length; // lowest free is found again at grant
      best = {
        placement: local ? { kind: "local", slot } : { kind: "remote", hostId: placeId, slot },
        estimate,
      };
    };
    if (!job.info.noLocalCopy) consider(LOCAL_ID, true);
    if (!job.info.localOnly) {
      for (const h of this.#hosts) {
        if (h.local || h.down || this.backoff.isBackedOff(h.id, now)) continue;
        consider(h.id, false);
      }
    }
    return best;
  }
}
