import type { StopSignal } from "./job-stop.js";

/** Frees a slot; calling it twice is harmless. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  cancel: () => void;
}

/**
 * `--jobs` compile slots with a bounded FIFO of waiters. A request that finds the queue full is
 * refused at once (REJ_OVERLOAD) instead of waiting without bound.
 */
export class JobSlots {
  private busy = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
  ) {}

  get running(): number {
    return this.busy;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Takes a slot: resolves with its release function, or with `undefined` when the queue is full
   * or `signal` aborts while waiting (the waiter leaves the queue).
   */
  acquire(signal?: StopSignal): Promise<ReleaseSlot | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.busy < this.capacity) {
      this.busy++;
      return Promise.resolve(this.makeRelease());
    }
    if (this.waiters.length >= this.maxQueue) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => waiter.cancel();
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        cancel: () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          resolve(undefined);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private makeRelease(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // Hand the slot straight to the next waiter: `busy` stays the same.
      if (next) next.grant(this.makeRelease());
      else this.busy--;
    };
  }
}
