import type { StopSignal } from "./job-stop.js";

/** Frees a slot; calling it twice is harmless. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  cancel: () => void;
  client: string | undefined;
}

/**
 * `--jobs` compile slots with a bounded FIFO of waiters. A request that finds the queue full, or
 * its client's share of the queue full (`maxQueuePerClient`: one machine cannot fill the whole
 * queue and starve the others), is refused at once (REJ_OVERLOAD) instead of waiting without bound.
 */
export class JobSlots {
  private busy = 0;
  private readonly waiters: Waiter[] = [];
  private readonly waitingByClient = new Map<string, number>();

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
    readonly maxQueuePerClient: number = maxQueue,
  ) {}

  /** Requests of `client` waiting now. */
  queuedFor(client: string): number {
    return this.waitingByClient.get(client) ?? 0;
  }

  private count(client: string | undefined, delta: number): void {
    if (client === undefined) return;
    const n = (this.waitingByClient.get(client) ?? 0) + delta;
    if (n <= 0) this.waitingByClient.delete(client);
    else this.waitingByClient.set(client, n);
  }

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
  acquire(signal?: StopSignal, client?: string): Promise<ReleaseSlot | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.busy < this.capacity) {
      this.busy++;
      return Promise.resolve(this.makeRelease());
    }
    if (this.waiters.length >= this.maxQueue) return Promise.resolve(undefined);
    if (client !== undefined && this.queuedFor(client) >= this.maxQueuePerClient) return Promise.resolve(undefined);
    this.count(client, 1);
    return new Promise((resolve) => {
      const onAbort = (): void => waiter.cancel();
      const waiter: Waiter = {
        client,
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        cancel: () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) {
            this.waiters.splice(at, 1);
            this.count(client, -1);
          }
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
      if (next) this.count(next.client, -1);
      // Hand the slot straight to the next waiter: `busy` stays the same.
      if (next) next.grant(this.makeRelease());
      else this.busy--;
    };
  }
}
