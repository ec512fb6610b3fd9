import {
  Backoff,
  LOCAL_ID,
  Scheduler,
  distccPolicy,
  earliestFinishPolicy,
  randomizedPolicy,
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
 * Which policy a job uses: `--randomize` -> randomized; `DISTCC_SCHEDULER=distcc|earliest-finish`
 * if set; else earliest-finish when the list names localhost (this machine is then one of the places,
 * so a helper slower than the client only gets what it finishes sooner), and distcc's order when it
 * does not (like distcc, a list without localhost means "compile elsewhere"; the earliest-finish
 * policy in @x/distcc-scheduler would place probing-phase jobs locally when no remote candidate is
 * measured yet, which a localhost-less list must not do).
 */
export function policyName(list: HostList, env: Record<string, string | undefined>): string {
  if (list.randomize) return "randomize";
  if (env.DISTCC_SCHEDULER === "distcc" || env.DISTCC_SCHEDULER === "earliest-finish") return env.DISTCC_SCHEDULER;
  return list.hosts.some((h) => h.kind === "local") ? "earliest-finish" : "distcc";
}

/**
 * Drives one pure `Scheduler` with promises: a job asks for a lease and waits (FIFO, no polling)
 * until the scheduler grants one; a job whose launcher went away is cancelled and its slot freed.
 */
export class PlacementDriver {
  readonly scheduler: Scheduler;
  private readonly waiting = new Map<number, { resolve(lease: Lease): void; reject(err: unknown): void }>();
  private readonly granted = new Map<number, Lease[]>();
  private backoffTimer: NodeJS.Timeout | undefined;

  constructor(list: HostList, policy: string, backoffPeriodMs: number) {
    const hosts = list.hosts.flatMap((h): SchedulerHost[] => {
      if (h.kind === "local") return [{ id: LOCAL_ID, limit: h.limit, local: true }];
      if (h.kind === "tcp") return [{ id: tcpHostId(h.host, h.port), limit: h.limit, ...(h.down ? { down: true } : {}) }];
      return []; // ssh: not supported by this client yet
    });
    this.scheduler = new Scheduler({
      hosts,
      localSlots: list.localSlots,
      policy:
        policy === "distcc" ? distccPolicy() : policy === "randomize" ? randomizedPolicy(Math.random) : earliestFinishPolicy(),
      backoff: new Backoff({ periodMs: backoffPeriodMs }),
    });
  }

  /** Submits a job; resolves with its first lease. Use `next` for the following ones. */
  submit(job: JobInfo, signal: AbortSignal): Promise<{ jobId: number; lease: Lease }> {
    const r = this.scheduler.submit(job, Date.now());
    const p = this.next(r.jobId, signal);
    this.apply(r);
    return p.then((lease) => ({ jobId: r.jobId, lease }));
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
        reject,
      });
    });
  }

  finish(lease: Lease, outcome: Outcome): void {
    this.apply(this.scheduler.finish(lease.id, outcome, Date.now()));
  }

  /** The launcher went away: free everything the job holds or waits for. */
  cancel(jobId: number): void {
    try {
      this.apply(this.scheduler.cancel(jobId, Date.now()));
    } catch {
      /* already finished */
    }
    this.granted.delete(jobId);
  }

  get busy(): boolean {
    return this.scheduler.waiting > 0 || this.scheduler.leases().length > 0;
  }

  private apply(update: Update): void {
    for (const lease of update.granted) {
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
    // Jobs that wait only for a backoff to end are re-placed when time passes; nothing else polls.
    if (this.scheduler.waiting > 0 && this.scheduler.leases().length === 0 && !this.backoffTimer) {
      this.backoffTimer = setTimeout(() => {
        this.backoffTimer = undefined;
        this.apply(this.scheduler.poll(Date.now()));
      }, 1000);
      this.backoffTimer.unref?.();
    }
  }
}
