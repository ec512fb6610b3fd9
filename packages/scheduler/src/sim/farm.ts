import { SchedulerError } from "../errors.js";
import { Backoff } from "../backoff.js";
import { CpuPressure } from "../cpu-pressure.js";
import { type Lease, Scheduler } from "../scheduler.js";
import { SpeedModel } from "../speed-model.js";
import { LOCAL_ID, type Policy } from "../types.js";
import type { SimJob } from "./jobs.js";
import { PsResource } from "./ps-resource.js";

/** The machine that runs the build. `speed` 1 = the reference core. */
export interface SimClient {
  readonly cpus: number;
  readonly speed: number;
  /** This machine's pool for the scheduler (`--localslots`). */
  readonly localSlots: number;
  /** make -j for a distributed build. */
  readonly parallelism: number;
  /** make -j for the local-only build. */
  readonly localParallelism: number;
}

export interface SimHelper {
  readonly id: string;
  /** Slots in the host list (`/N`). */
  readonly slots: number;
  readonly cpus: number;
  readonly speed: number;
  /** One-way latency (ms) and bandwidth (bytes per ms) of the link to it. */
  readonly latencyMs: number;
  readonly bytesPerMs: number;
  /** A dead host: every attempt fails after one round trip (connection refused). */
  readonly dead?: boolean;
  /** From `atMs` on, the helper runs at `factor` times its speed (someone else loads it). */
  readonly slowsDown?: { readonly atMs: number; readonly factor: number };
}

export interface FarmSetup {
  readonly name: string;
  readonly client: SimClient;
  readonly helpers: readonly SimHelper[];
  readonly jobs: readonly SimJob[];
}

/** How the simulated build places jobs. */
export type SimStrategy =
  | { readonly kind: "local-only" }
  | {
      readonly kind: "scheduler";
      readonly policy: Policy;
      /** Ask `Scheduler.stragglers()` after every event and run the copies (default false). */
      readonly duplicates?: boolean;
      /** `SchedulerOptions.duplicateMargin`. */
      readonly duplicateMargin?: number;
      /** A model learned before (default: a fresh one, learned during the build). */
      readonly model?: SpeedModel;
      /** Backoff period (default 60 s). */
      readonly backoffMs?: number;
      /**
       * `choose-first` (distcc): the job asks for a place, then preprocesses under that slot.
       * `preprocess-first` (our agent): every job preprocesses first, then asks; a local placement
       * compiles the preprocessed file (`helperWork`). Default `choose-first`.
       */
      readonly flow?: "choose-first" | "preprocess-first";
      /** With `preprocess-first`: a local placement compiles the source again (`localWork`). */
      readonly localRecompiles?: boolean;
    };

export interface SimResult {
  readonly setup: string;
  readonly strategy: string;
  readonly makespanMs: number;
  /** Jobs whose (first) result came from each place. */
  readonly completedAt: Readonly<Record<string, number>>;
  readonly copiesStarted: number;
  readonly failedAttempts: number;
}

/**
 * A deterministic discrete-event simulation of one build on a farm: make keeps `parallelism` jobs in
 * flight; each job asks the scheduler for a place; a local job runs on this machine's CPUs; a remote job
 * runs cpp on this machine, sends its input over the link, compiles on the helper's CPUs and sends the
 * object back, holding its slot throughout (as distcc does). CPUs and links are processor-sharing.
 * The same inputs always give the same makespan.
 */
export function simulateFarm(setup: FarmSetup, strategy: SimStrategy): SimResult {
  return new FarmRun(setup, strategy).run();
}

interface Timed {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
}

class FarmRun {
  readonly #setup: FarmSetup;
  readonly #strategy: SimStrategy;
  readonly #clientCpu: PsResource;
  readonly #helperCpu = new Map<string, PsResource>();
  readonly #link = new Map<string, PsResource>();
  readonly #helpers = new Map<string, SimHelper>();
  #timed: Timed[] = [];
  #seq = 0;
  #taskId = 0;
  #now = 0;
  #nextJob = 0;
  #done = 0;
  readonly #completedAt: Record<string, number> = {};
  #copies = 0;
  #failed = 0;
  readonly #scheduler: Scheduler | undefined;
  /** lease id -> what to abort if the lease is cancelled. */
  readonly #leaseTasks = new Map<number, { resource: PsResource | undefined; task: number; cancelled: boolean }>();
  readonly #jobOf = new Map<number, SimJob>();
  readonly #pressure = new CpuPressure();
  readonly #finishedJobs = new Set<number>();

  constructor(setup: FarmSetup, strategy: SimStrategy) {
    this.#setup = setup;
    this.#strategy = strategy;
    const c = setup.client;
    this.#clientCpu = new PsResource(c.cpus * c.speed, c.speed);
    for (const h of setup.helpers) {
      this.#helpers.set(h.id, h);
      this.#helperCpu.set(h.id, new PsResource(h.cpus * h.speed, h.speed));
      this.#link.set(h.id, new PsResource(h.bytesPerMs, h.bytesPerMs));
    }
    if (strategy.kind === "scheduler") {
      this.#scheduler = new Scheduler({
        hosts: setup.helpers.map((h) => ({ id: h.id, limit: h.slots })),
        localSlots: c.localSlots,
        policy: strategy.policy,
        model: strategy.model ?? new SpeedModel(),
        backoff: new Backoff({ periodMs: strategy.backoffMs ?? 60_000 }),
        ...(strategy.flow === "preprocess-first" ? { cpuPressure: this.#pressure } : {}),
        ...(strategy.duplicateMargin !== undefined ? { duplicateMargin: strategy.duplicateMargin } : {}),
      });
    }
  }

  run(): SimResult {
    const parallelism =
      this.#strategy.kind === "local-only" ? this.#setup.client.localParallelism : this.#setup.client.parallelism;
    for (const h of this.#setup.helpers) {
      if (!h.slowsDown) continue;
      const speed = h.speed * h.slowsDown.factor;
      this.#after(h.slowsDown.atMs, () => this.#helperCpu.get(h.id)!.setRates(h.cpus * speed, speed));
    }
    for (let i = 0; i < parallelism; i++) this.#startNextJob();
    this.#afterEvent();
    let guard = 0;
    while (this.#done < this.#setup.jobs.length) {
      if (++guard > 10_000_000)
        throw new SchedulerError("DISTCC_SCHED_ERR_SIM_STALLED", `simulation of ${this.#setup.name} did not converge`);
      this.#step();
      this.#afterEvent();
    }
    const strategy =
      this.#strategy.kind === "local-only"
        ? "local-only"
        : this.#strategy.policy.name +
          (this.#strategy.duplicates ? "+copies" : "") +
          (this.#strategy.flow === "preprocess-first" ? " (preprocess first)" : "");
    return {
      setup: this.#setup.name,
      strategy,
      makespanMs: this.#now,
      completedAt: this.#completedAt,
      copiesStarted: this.#copies,
      failedAttempts: this.#failed,
    };
  }

  #step(): void {
    const resources = [this.#clientCpu, ...this.#helperCpu.values(), ...this.#link.values()];
    let dt = Infinity;
    for (const r of resources) dt = Math.min(dt, r.nextCompletionIn());
    const nextTimed = this.#timed.length > 0 ? this.#timed[0]!.at - this.#now : Infinity;
    dt = Math.min(dt, nextTimed);
    if (!Number.isFinite(dt))
      throw new SchedulerError(
        "DISTCC_SCHED_ERR_SIM_STALLED",
        `simulation of ${this.#setup.name} stalled at ${this.#now} ms`,
      );
    dt = Math.max(0, dt);
    this.#now += dt;
    const callbacks: (() => void)[] = [];
    for (const r of resources) callbacks.push(...r.advance(dt));
    while (this.#timed.length > 0 && this.#timed[0]!.at <= this.#now + 1e-9) callbacks.push(this.#timed.shift()!.fire);
    for (const cb of callbacks) cb();
  }

  #after(delay: number, fire: () => void): void {
    const item = { at: this.#now + delay, seq: this.#seq++, fire };
    // Sorted insert keeps (time, sequence) order: deterministic ties.
    let i = this.#timed.length;
    while (
      i > 0 &&
      (this.#timed[i - 1]!.at > item.at || (this.#timed[i - 1]!.at === item.at && this.#timed[i - 1]!.seq > item.seq))
    )
      i--;
    this.#timed.splice(i, 0, item);
  }

  #startNextJob(): void {
    if (this.#nextJob >= this.#setup.jobs.length) return;
    const job = this.#setup.jobs[this.#nextJob++]!;
    if (!this.#scheduler) {
      this.#runOnCpu(this.#clientCpu, job.localWork, () => this.#jobDone(LOCAL_ID));
      return;
    }
    if (this.#preprocessFirst) {
      // As the agent does: each preprocessing's wall time against its CPU time tells the scheduler
      // whether this machine's CPU is saturated.
      const startedAt = this.#now;
      this.#runOnCpu(this.#clientCpu, job.clientWork, () => {
        this.#pressure.observe(this.#now - startedAt, job.clientWork / this.#setup.client.speed, this.#now);
        this.#submit(job);
      });
      return;
    }
    this.#submit(job);
  }

  get #preprocessFirst(): boolean {
    return this.#strategy.kind === "scheduler" && this.#strategy.flow === "preprocess-first";
  }

  #submit(job: SimJob): void {
    // distcc's flow preprocesses under the lease; ours (preprocess first) does not.
    const info = this.#preprocessFirst
      ? { inputBytes: job.inputBytes }
      : { inputBytes: job.inputBytes, preprocessesUnderLease: true };
    const submitted = this.#scheduler!.submit(info, this.#now);
    this.#jobOf.set(submitted.jobId, job);
    this.#startLeases(submitted.granted);
  }

  #jobDone(placeId: string): void {
    this.#completedAt[placeId] = (this.#completedAt[placeId] ?? 0) + 1;
    this.#done++;
    this.#startNextJob();
  }

  #afterEvent(): void {
    if (!this.#scheduler || this.#strategy.kind !== "scheduler" || !this.#strategy.duplicates) return;
    const copies = this.#scheduler.stragglers(this.#now);
    this.#copies += copies.length;
    this.#startLeases(copies);
  }

  #runOnCpu(cpu: PsResource, work: number, done: () => void): number {
    const id = ++this.#taskId;
    cpu.add(id, work, done);
    return id;
  }

  #startLeases(leases: readonly Lease[]): void {
    for (const lease of leases) this.#startLease(lease);
  }

  #startLease(lease: Lease): void {
    const job = this.#jobOf.get(lease.jobId)!;
    const track = { resource: undefined as PsResource | undefined, task: 0, cancelled: false };
    this.#leaseTasks.set(lease.id, track);
    const phase = (resource: PsResource, work: number, next: () => void): void => {
      if (track.cancelled) return;
      track.resource = resource;
      track.task = this.#runOnCpu(resource, work, () => {
        track.resource = undefined;
        if (!track.cancelled) next();
      });
    };
    const wait = (ms: number, next: () => void): void => {
      this.#after(ms, () => {
        if (!track.cancelled) next();
      });
    };
    let clientDoneAt: number | undefined;
    // The helper's own time, as the agent measures it: request sent to the answer's first byte.
    let sentAt: number | undefined;
    let answeredAt: number | undefined;
    const finish = (ok: boolean): void => {
      if (track.cancelled) return;
      this.#leaseTasks.delete(lease.id);
      const outcome = ok
        ? {
            ok: true as const,
            ...(clientDoneAt !== undefined ? { clientMs: clientDoneAt - lease.startedAt } : {}),
            ...(sentAt !== undefined && answeredAt !== undefined ? { compileMs: answeredAt - sentAt } : {}),
          }
        : { ok: false as const };
      const update = this.#scheduler!.finish(lease.id, outcome, this.#now);
      for (const c of update.cancelled) this.#abort(c.id);
      if (ok) {
        this.#finishedJobs.add(lease.jobId);
        this.#jobDone(lease.placeId);
      } else {
        this.#failed++;
      }
      this.#startLeases(update.granted);
    };

    if (lease.placement.kind === "local") {
      const recompiles = this.#strategy.kind === "scheduler" && this.#strategy.localRecompiles === true;
      const work = this.#preprocessFirst && !recompiles ? job.helperWork : job.localWork;
      phase(this.#clientCpu, work, () => finish(true));
      return;
    }
    const helper = this.#helpers.get(lease.placeId)!;
    const link = this.#link.get(helper.id)!;
    const helperCpu = this.#helperCpu.get(helper.id)!;
    phase(this.#clientCpu, this.#preprocessFirst ? 0 : job.clientWork, () => {
      if (!this.#preprocessFirst) clientDoneAt = this.#now;
      if (helper.dead) {
        wait(2 * helper.latencyMs, () => finish(false));
        return;
      }
      wait(helper.latencyMs, () =>
        phase(link, job.sendBytes, () => {
          sentAt = this.#now;
          phase(helperCpu, job.helperWork, () =>
            wait(helper.latencyMs, () => {
              answeredAt = this.#now;
              phase(link, job.resultBytes, () => finish(true));
            }),
          );
        }),
      );
    });
  }

  #abort(leaseId: number): void {
    const track = this.#leaseTasks.get(leaseId);
    if (!track) return;
    track.cancelled = true;
    if (track.resource) track.resource.remove(track.task);
    this.#leaseTasks.delete(leaseId);
  }
}
