import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import {
  Backoff,
  LOCAL_ID,
  Scheduler,
  SchedulerError,
  type SpeedModel,
  distccPolicy,
  earliestFinishPolicy,
  randomizedPolicy,
  type CpuPressureView,
  type JobInfo,
  type Lease,
  type Outcome,
  type Update,
  type HostEntry as SchedulerHost,
} from "@x/distcc-scheduler";
import type { HostList } from "@x/distcc-hosts";
import { SlotCancelledError } from "./slot-broker.js";

export { LOCAL_ID };
export type { Lease };

/** The lock-style id of a TCP host (`tcp_HOST_PORT`), as the scheduler and backoff know it. */
export function tcpHostId(host: string, port: number): string {
  return `tcp_${host}_${port}`;
}

/**
 * How a place is shown to people (`mon`, `summary`, messages): a host as written in the host list,
 * without its limit and options (`10.9.0.1`, `helper:3700`, `[::1]:3700`), never the lock-style id.
 */
export function placeName(spec: string): string {
  return spec.split(",")[0]!.replace(/\/\d*/g, "");
}

/** The placement policies a user can pick (`DISTCC_POLICY`). */
export type PolicyName = "fastest" | "distcc" | "random";

/**
 * Which policy a job uses: `--randomize` in the host list -> random (distcc's meaning); else
 * `DISTCC_POLICY=distcc|random|fastest` (`DISTCC_SCHEDULER` is the older name, `earliest-finish` the
 * older spelling of `fastest`); else `fastest`, the earliest-expected-finish policy, for which this
 * machine is always one of the places (see `localCountsAsPlace`).
 */
export function policyName(list: HostList, env: Record<string, string | undefined>): PolicyName {
  if (list.randomize) return "random";
  const raw = (env.DISTCC_POLICY ?? env.DISTCC_SCHEDULER ?? "").trim().toLowerCase();
  if (raw === "distcc") return "distcc";
  if (raw === "random" || raw === "randomize") return "random";
  return "fastest";
}

/**
 * Whether this machine competes with the helpers for distributable jobs. With distcc's order (and
 * random), only when the list names localhost, like distcc. With `fastest`, always, unless
 * DISTCC_FALLBACK=0 forbids local compiles: a helper slower than this machine then only gets the jobs
 * it finishes sooner, which is what keeps a build from being slower than a local one.
 */
export function localCountsAsPlace(list: HostList, policy: PolicyName, fallback: boolean): boolean {
  if (list.hosts.some((h) => h.kind === "local")) return true;
  return policy === "fastest" && fallback;
}

/** A job the scheduler dropped because no place can ever take it (every host failed it, no local slot). */
class NoPlaceError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_NO_PLACE", message, options);
  }
}

/** What the driver tells its observer (the agent's monitor): plain facts, after they happened. */
export interface PlacementObserver {
  /** `redoOf`: this local run compiles again a job whose helper's compile failed (see `finish`'s `redoneHere`). */
  submitted?(jobId: number, job: JobInfo, redoOf?: number): void;
  granted?(lease: Lease, job: JobInfo): void;
  /**
   * An attempt ended (`outcome.ok`: its result is the job's; else the place failed it).
   * `redoneHere`: the place answered, but with a compile failure the job is compiled again here for.
   */
  ended?(lease: Lease, job: JobInfo, outcome: Outcome, elapsedMs: number, redoneHere?: string): void;
  /** The job left without a result (its launcher went away, or no place could take it). */
  dropped?(jobId: number, why: "cancelled" | "no-place"): void;
  /** A host failed outside any attempt (the probe after a stopped attempt that never connected). */
  hostFailed?(placeId: string, reason: string): void;
}

export interface PlacementDriverOptions {
  policy: PolicyName;
  backoffPeriodMs: number;
  /** Shared by every driver of the agent (and persisted): one host learned once. */
  model?: SpeedModel;
  /** Whether this machine's CPU is saturated (shared by every driver: it is one machine). */
  cpuPressure?: CpuPressureView;
  /** See `localCountsAsPlace`; default: the list names localhost. */
  localIsAPlace?: boolean;
  /**
   * Re-send a straggler to a second place when that is expected to finish well before it (the first
   * result wins, the other attempt is cancelled). Default false (distcc never does).
   */
  copies?: boolean;
  observer?: PlacementObserver;
}

/** How often running jobs are checked for stragglers while nothing waits (the tail of a build). */
const STRAGGLER_CHECK_MS = 200;

/**
 * Drives one pure `Scheduler` with promises: a job asks for a lease and waits (FIFO, no polling)
 * until the scheduler grants one; a job whose launcher went away is cancelled and its slot freed.
 * The only timer is the end of a backoff while jobs wait (`Scheduler.nextPollAt`).
 */
export class PlacementDriver {
  readonly scheduler: Scheduler;
  readonly policy: PolicyName;
  /** Whether this machine competes with the helpers for distributable jobs (`localCountsAsPlace`). */
  readonly localIsAPlace: boolean;
  /** Told about every submit, grant and end (the agent's monitor). */
  observer: PlacementObserver | undefined;
  /** Place id -> how people know it (`placeName` of the host list's entry). */
  readonly names: ReadonlyMap<string, string>;
  private readonly waiting = new Map<number, { resolve(lease: Lease): void; reject(err: unknown): void }>();
  private readonly granted = new Map<number, Lease[]>();
  private readonly jobs = new Map<number, JobInfo>();
  /** Jobs whose attempts the agent runs itself and can stop: they may get a straggler copy. */
  private readonly copyTargets = new Map<number, (copy: Lease) => void>();
  /** How to stop the attempt holding a lease, when the scheduler cancels it (its job was won elsewhere). */
  private readonly stoppers = new Map<number, () => void>();
  private readonly copies: boolean;
  private backoffTimer: NodeJS.Timeout | undefined;
  private backoffAt: number | undefined;
  private stragglerTimer: NodeJS.Timeout | undefined;

  constructor(list: HostList, options: PlacementDriverOptions) {
    this.policy = options.policy;
    this.observer = options.observer;
    this.localIsAPlace = options.localIsAPlace ?? list.hosts.some((h) => h.kind === "local");
    this.copies = options.copies ?? false;
    const names = new Map<string, string>();
    for (const h of list.hosts) {
      if (h.kind === "local") names.set(LOCAL_ID, "localhost");
      else if (h.kind === "tcp") names.set(tcpHostId(h.host, h.port), placeName(h.spec));
    }
    this.names = names;
    const hosts = list.hosts.flatMap((h): SchedulerHost[] => {
      if (h.kind === "local") return [{ id: LOCAL_ID, limit: h.limit, local: true }];
      if (h.kind === "tcp")
        return [{ id: tcpHostId(h.host, h.port), limit: h.limit, ...(h.down ? { down: true } : {}) }];
      return []; // ssh: not supported by this client yet
    });
    this.scheduler = new Scheduler({
      hosts,
      localSlots: list.localSlots,
      policy:
        options.policy === "distcc"
          ? distccPolicy()
          : options.policy === "random"
            ? randomizedPolicy(Math.random)
            : earliestFinishPolicy(),
      backoff: new Backoff({ periodMs: options.backoffPeriodMs }),
      ...(options.model ? { model: options.model } : {}),
      ...(options.cpuPressure ? { cpuPressure: options.cpuPressure } : {}),
    });
  }

  /**
   * Submits a job; resolves with its first lease. Use `next` for the following ones. `redoOf`: the
   * job whose helper's compile failed, compiled again here by this one (counted as that job's result).
   */
  submit(job: JobInfo, signal: AbortSignal, redoOf?: number): Promise<{ jobId: number; lease: Lease }> {
    const info = this.localIsAPlace && job.excluded?.includes(LOCAL_ID) ? withoutLocalExclusion(job) : job;
    const r = this.scheduler.submit(info, Date.now());
    this.jobs.set(r.jobId, info);
    this.observer?.submitted?.(r.jobId, info, redoOf);
    const p = this.next(r.jobId, signal);
    this.apply(r);
    return p.then((lease) => ({ jobId: r.jobId, lease }));
  }

  /** No job submitted and not yet ended (or cancelled), nothing waiting, no lease held. */
  get idle(): boolean {
    return (
      this.jobs.size === 0 &&
      this.waiting.size === 0 &&
      this.granted.size === 0 &&
      this.scheduler.waiting === 0 &&
      this.scheduler.leases().length === 0
    );
  }

  /** Stops the timers of an idle driver that will not be used again. */
  dispose(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    if (this.stragglerTimer) clearTimeout(this.stragglerTimer);
    this.backoffTimer = undefined;
    this.stragglerTimer = undefined;
  }

  /** Waits for the job's next lease (after a failed attempt the scheduler places it again). */
  next(jobId: number, signal: AbortSignal): Promise<Lease> {
    const ready = this.granted.get(jobId);
    if (ready?.length) {
      const lease = ready.shift()!;
      if (ready.length === 0) this.granted.delete(jobId);
      return Promise.resolve(lease);
    }
    return new Promise<Lease>((resolve, reject) => {
      if (signal.aborted) return reject(new SlotCancelledError("cancelled"));
      if (!this.jobs.has(jobId)) return reject(new NoPlaceError("no place can take this job"));
      const onAbort = (): void => {
        this.waiting.delete(jobId);
        this.cancel(jobId);
        reject(new SlotCancelledError("cancelled"));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(jobId, {
        resolve: (lease) => {
          signal.removeEventListener("abort", onAbort);
          resolve(lease);
        },
        reject: (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      });
    });
  }

  /**
   * The attempt ended. Without `elapsedMs`, the time since the grant is used: a local compile is
   * measured like a remote one, so this machine is learned as a place too. `redoneHere`: why the job,
   * although answered (no backoff: a compile error is the compiler's verdict), is compiled again here.
   */
  finish(lease: Lease, outcome: Outcome, redoneHere?: string): void {
    // A copy cancelled because the job was won elsewhere may still report: it no longer counts.
    if (!this.scheduler.holds(lease.id)) return;
    this.stoppers.delete(lease.id);
    const now = Date.now();
    const job = this.jobs.get(lease.jobId);
    const elapsedMs =
      outcome.ok && outcome.elapsedMs !== undefined ? outcome.elapsedMs : Math.max(0, now - lease.startedAt);
    const update = this.scheduler.finish(lease.id, outcome, now);
    if (job) this.observer?.ended?.(lease, job, outcome, elapsedMs, redoneHere);
    if (outcome.ok) {
      this.jobs.delete(lease.jobId);
      this.copyTargets.delete(lease.jobId);
    }
    this.apply(update);
  }

  /**
   * A host found failing outside an attempt (see probeUnconnectedHost): backed off like a failed
   * attempt, so jobs stop trying it, and counted in the build's failures.
   */
  hostFailed(placeId: string, reason: string): void {
    this.scheduler.backoff.fail(placeId, Date.now());
    this.observer?.hostFailed?.(placeId, reason);
    this.apply({ granted: [], cancelled: [], failed: [] });
  }

  /** The launcher went away: free everything the job holds or waits for. */
  cancel(jobId: number): void {
    if (!this.jobs.has(jobId)) return;
    this.jobs.delete(jobId);
    this.granted.delete(jobId);
    this.copyTargets.delete(jobId);
    try {
      this.apply(this.scheduler.cancel(jobId, Date.now()));
    } catch (err) {
      // The scheduler already ended the job (its result came in this same tick): nothing to free.
      if (!(err instanceof SchedulerError && err.code === "DISTCC_SCHED_ERR_UNKNOWN_JOB")) throw err;
    }
    this.observer?.dropped?.(jobId, "cancelled");
  }

  get busy(): boolean {
    return this.scheduler.waiting > 0 || this.scheduler.leases().length > 0;
  }

  /**
   * The job's attempts are the agent's own (a send to a helper, a compile it runs itself): it can race
   * a straggler copy, handed to `start`. Returns the function that withdraws the offer.
   */
  acceptCopies(jobId: number, start: (copy: Lease) => void): () => void {
    if (!this.copies) return () => undefined;
    this.copyTargets.set(jobId, start);
    this.checkStragglers();
    return () => {
      if (this.copyTargets.get(jobId) === start) this.copyTargets.delete(jobId);
    };
  }

  /** How to stop the attempt on `lease` if the scheduler cancels it (the job was won by another attempt). */
  onCancel(lease: Lease, stop: () => void): void {
    if (this.scheduler.holds(lease.id)) this.stoppers.set(lease.id, stop);
  }

  private apply(update: Update): void {
    for (const lease of update.cancelled) {
      const stop = this.stoppers.get(lease.id);
      this.stoppers.delete(lease.id);
      stop?.();
    }
    for (const lease of update.granted) {
      const job = this.jobs.get(lease.jobId);
      if (job) this.observer?.granted?.(lease, job);
      const w = this.waiting.get(lease.jobId);
      if (w) {
        this.waiting.delete(lease.jobId);
        w.resolve(lease);
      } else {
        const list = this.granted.get(lease.jobId) ?? [];
        list.push(lease);
        this.granted.set(lease.jobId, list);
      }
    }
    for (const jobId of update.failed) {
      // Never leave a launcher hanging: the job fails (distcc would loop forever here).
      this.jobs.delete(jobId);
      this.observer?.dropped?.(jobId, "no-place");
      const w = this.waiting.get(jobId);
      this.waiting.delete(jobId);
      w?.reject(new NoPlaceError("no place can take this job"));
    }
    this.armBackoffTimer();
    this.checkStragglers();
  }

  /**
   * Starts the straggler copies the scheduler finds worth it (it only looks while nothing waits, and
   * only at idle places), then checks again shortly while copy-able jobs run: a job becomes a
   * straggler by time passing, not by an event.
   */
  private checkStragglers(): void {
    if (!this.copies || this.copyTargets.size === 0) {
      if (this.stragglerTimer) clearTimeout(this.stragglerTimer);
      this.stragglerTimer = undefined;
      return;
    }
    const found = this.scheduler.stragglers(Date.now(), (l) => this.copyTargets.has(l.jobId));
    for (const copy of found) {
      const job = this.jobs.get(copy.jobId);
      if (job) this.observer?.granted?.(copy, job);
      this.copyTargets.get(copy.jobId)?.(copy);
    }
    if (this.stragglerTimer || this.scheduler.waiting > 0) return;
    this.stragglerTimer = setTimeout(() => {
      this.stragglerTimer = undefined;
      this.checkStragglers();
    }, STRAGGLER_CHECK_MS);
    this.stragglerTimer.unref?.();
  }

  /** One timer, for the earliest end of a backoff while jobs wait: a waiting job may then go there. */
  private armBackoffTimer(): void {
    const now = Date.now();
    const at = this.scheduler.waiting > 0 ? this.scheduler.nextPollAt(now) : undefined;
    if (at === undefined) {
      if (this.backoffTimer) clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
      this.backoffAt = undefined;
      return;
    }
    if (this.backoffTimer && this.backoffAt !== undefined && this.backoffAt <= at) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffAt = at;
    this.backoffTimer = setTimeout(
      () => {
        this.backoffTimer = undefined;
        this.backoffAt = undefined;
        this.apply(this.scheduler.poll(Date.now()));
      },
      Math.max(1, at - now + 1),
    );
    this.backoffTimer.unref?.();
  }
}

function withoutLocalExclusion(job: JobInfo): JobInfo {
  const excluded = job.excluded!.filter((id) => id !== LOCAL_ID);
  const { excluded: _dropped, ...rest } = job;
  return excluded.length ? { ...rest, excluded } : rest;
}
