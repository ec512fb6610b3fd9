import type { AttemptResult } from "./attempt-verdict.js";
import { runAttempt } from "./attempt.js";
import type { PlacedJob } from "./job-context.js";
import type { Lease } from "./placement.js";

/** Why an attempt's signal aborts (one shared reason: an abort without one builds a DOMException). */
const ATTEMPT_STOPPED: Error = Object.freeze(new Error("the attempt was stopped"));

/** An attempt that ended: the lease it ran under, and how it ended. */
interface EndedAttempt {
  lease: Lease;
  result: AttemptResult;
}

/**
 * The attempts of one placed job running at once: the job's own, and the straggler copies the
 * scheduler adds at other idle places while one runs. Whoever drives it judges each attempt as it
 * ends; the first good result wins, and the scheduler then stops the others (through `onCancel`).
 * `close` must always be called: it stops taking copies and, unless the job was `decide`d, gives the
 * job back to the scheduler so its place is freed.
 */
export class AttemptRace {
  readonly #placed: PlacedJob;
  readonly #running = new Map<number, { lease: Lease; ended: Promise<EndedAttempt> }>();
  /** Copies offered by the scheduler, started at the next `startOfferedCopies`. */
  readonly #offeredCopies: Lease[] = [];
  /** Wakes a pending `nextEnd` when a copy is offered, so that the copy starts at once. */
  #wakeForCopy: (() => void) | undefined;
  #withdrawCopies: (() => void) | undefined;
  /** The job's outcome is settled (a result accepted, or the job handed to this machine). */
  #decided = false;

  constructor(placed: PlacedJob) {
    this.#placed = placed;
  }

  /** How many attempts are running. */
  get size(): number {
    return this.#running.size;
  }

  /** Starts an attempt under `lease`; from the first one on, the scheduler may offer copies. */
  start(lease: Lease): void {
    const { driver, jobId, ctx } = this.#placed;
    const { job } = ctx;
    // Stopped when the scheduler cancels it (its job was won elsewhere) or the launcher goes away.
    // (A listener, not AbortSignal.any: that one costs more per job and keeps its sources alive.)
    const controller = new AbortController();
    const stop = (): void => controller.abort(ATTEMPT_STOPPED);
    driver.onCancel(lease, stop);
    if (job.signal.aborted) stop();
    else job.signal.addEventListener("abort", stop, { once: true });
    const signal = controller.signal;
    const ended = runAttempt(this.#placed, lease, signal)
      .then(
        (result): EndedAttempt => ({ lease, result }),
        (err: unknown): EndedAttempt => ({
          lease,
          result: signal.aborted ? { kind: "stopped" } : { kind: "failed", reason: (err as Error).message },
        }),
      )
      .finally(() => job.signal.removeEventListener("abort", stop));
    this.#running.set(lease.id, { lease, ended });
    this.#withdrawCopies ??= driver.acceptCopies(jobId, (copy) => {
      this.#offeredCopies.push(copy);
      this.#wakeForCopy?.();
    });
  }

  /** Starts the copies offered since the last call. */
  startOfferedCopies(): void {
    const { ctx, scan } = this.#placed;
    for (const copy of this.#offeredCopies.splice(0)) {
      const late = [...this.#running.values()].map((a) => a.lease.placeId).join(", ");
      ctx.out.debug(`${scan.input}: late on ${late}; a copy goes to ${copy.placeId} (the first result wins)`);
      this.start(copy);
    }
  }

  /**
   * The next attempt to end (no longer counted as running), or undefined when a copy was offered
   * first (call `startOfferedCopies`, then wait again). Only while something runs.
   */
  async nextEnd(): Promise<EndedAttempt | undefined> {
    const offered = new Promise<undefined>((resolve) => (this.#wakeForCopy = () => resolve(undefined)));
    const ended = await Promise.race([offered, ...[...this.#running.values()].map((a) => a.ended)]);
    this.#wakeForCopy = undefined;
    if (ended) this.#running.delete(ended.lease.id);
    return ended;
  }

  /** The job's outcome is settled here: `close` leaves the job to whoever settled it. */
  decide(): void {
    this.#decided = true;
  }

  close(): void {
    this.#withdrawCopies?.();
    if (!this.#decided) this.#placed.driver.cancel(this.#placed.jobId);
  }
}
