import type { StopSignal } from "./job-stop.js";

/** Frees a slot; calling it twice is harmless. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  cancel: () => void;
  client: string | undefined;
}

/**
 * `--jobs` compile slots with a bounded queue of waiters. A request that finds the queue full, or
 * its client's share of the queue full (`maxQueuePerClient`: one machine cannot fill the whole
 * queue and starve the others), is refused at once (REJ_OVERLOAD) instead of waiting without bound.
 *
 * Fair between client addresses (issue 14, A6: one address held every slot and, first in, first
 * out, every other client waited behind its whole queue): a freed slot goes to the waiting address
 * with the fewest jobs running, among equals the one served longest ago (round robin), not to the
 * oldest waiter, so a queue of one address does not pass before another address's single job; and
 * one address runs at most `maxRunningPerClient` jobs (default: every slot, so a client alone is
 * never slowed; set lower, a newcomer finds a slot held back for it).
 */
export class JobSlots {
  private busy = 0;
  private readonly waiters: Waiter[] = [];
  private readonly waitingByClient = new Map<string, number>();
  private readonly runningByClient = new Map<string, number>();
  /** When each address with jobs running or waiting was last given a slot (a grant counter). */
  private readonly lastGrant = new Map<string, number>();
  private grants = 0;

  constructor(
    readonly capacity: number,
    readonly maxQueue: number,
    readonly maxQueuePerClient: number = maxQueue,
    readonly maxRunningPerClient: number = capacity,
  ) {}

  /** Requests of `client` waiting now. */
  queuedFor(client: string): number {
    return this.waitingByClient.get(client) ?? 0;
  }

  /** Jobs of `client` holding a slot now. */
  runningFor(client: string): number {
    return this.runningByClient.get(client) ?? 0;
  }

  private static count(map: Map<string, number>, client: string | undefined, delta: number): void {
    if (client === undefined) return;
    const n = (map.get(client) ?? 0) + delta;
    if (n <= 0) map.delete(client);
    else map.set(client, n);
  }

  private mayRun(client: string | undefined): boolean {
    return client === undefined || this.runningFor(client) < this.maxRunningPerClient;
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
    // A free slot with waiters means those waiters are at their cap: a newcomer under its own may
    // take it.
    if (this.busy < this.capacity && this.mayRun(client)) return Promise.resolve(this.take(client));
    if (this.waiters.length >= this.maxQueue) return Promise.resolve(undefined);
    if (client !== undefined && this.queuedFor(client) >= this.maxQueuePerClient) return Promise.resolve(undefined);
    JobSlots.count(this.waitingByClient, client, 1);
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
            JobSlots.count(this.waitingByClient, client, -1);
          }
          resolve(undefined);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private take(client: string | undefined): ReleaseSlot {
    this.busy++;
    JobSlots.count(this.runningByClient, client, 1);
    if (client !== undefined) this.lastGrant.set(client, ++this.grants);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy--;
      JobSlots.count(this.runningByClient, client, -1);
      // Forget an address with nothing left here: the map holds only active clients.
      if (client !== undefined && this.runningFor(client) === 0 && this.queuedFor(client) === 0)
        this.lastGrant.delete(client);
      this.dispatch();
    };
  }

  /**
   * The waiter to serve next: of the addresses under their cap, the one with the fewest running,
   * then the one served longest ago; among a single address's waiters, the earliest.
   */
  private pickWaiter(): number {
    let best = -1;
    let bestRunning = Number.POSITIVE_INFINITY;
    let bestGrant = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.waiters.length; i++) {
      const client = this.waiters[i]!.client;
      if (!this.mayRun(client)) continue;
      const running = client === undefined ? 0 : this.runningFor(client);
      const grant = client === undefined ? 0 : (this.lastGrant.get(client) ?? 0);
      // Strictly better only: among equals the earliest in the queue wins.
      if (running < bestRunning || (running === bestRunning && grant < bestGrant)) {
        best = i;
        bestRunning = running;
        bestGrant = grant;
      }
    }
    return best;
  }

  private dispatch(): void {
    while (this.busy < this.capacity) {
      const at = this.pickWaiter();
      if (at < 0) return;
      const next = this.waiters.splice(at, 1)[0] as Waiter;
      JobSlots.count(this.waitingByClient, next.client, -1);
      next.grant(this.take(next.client));
    }
  }
}
