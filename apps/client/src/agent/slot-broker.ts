/**
 * The agent's slots: every place (a helper, the local CPU pool, the local cpp pool) has a limit
 * that holds across all launchers, because the agent is the only owner. Waiting is a FIFO queue
 * woken on release: no polling, no sleeping. A cancelled waiter (its launcher was killed) leaves
 * the queue; a lease is released exactly once.
 */
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";

export interface Lease {
  placeId: string;
  release(): void;
}

/** Picks a place for the head waiter given what is in use; undefined = keep waiting. */
export type Chooser = (inUse: ReadonlyMap<string, number>) => { placeId: string; limit: number } | undefined;

interface Waiter {
  choose: Chooser;
  resolve(lease: Lease): void;
  reject(err: unknown): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class SlotCancelledError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_CANCELLED", message, options);
  }
}

export class SlotBroker {
  private readonly inUse = new Map<string, number>();
  private readonly waiters: Waiter[] = [];

  /** Slots held right now per place (for tests and `distcc-client agent --status`). */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.inUse].filter(([, n]) => n > 0));
  }

  get waiting(): number {
    return this.waiters.length;
  }

  acquire(choose: Chooser, signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) return Promise.reject(new SlotCancelledError("cancelled"));
    // Queue first, then serve the queue in order: nobody overtakes an earlier waiter that could run.
    const promise = new Promise<Lease>((resolve, reject) => {
      const waiter: Waiter = { choose, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new SlotCancelledError("cancelled"));
          this.wake();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
    this.wake();
    return promise;
  }

  private tryTake(choose: Chooser): Lease | undefined {
    const pick = choose(this.inUse);
    if (!pick) return undefined;
    const used = this.inUse.get(pick.placeId) ?? 0;
    if (used >= pick.limit) return undefined;
    this.inUse.set(pick.placeId, used + 1);
    let released = false;
    return {
      placeId: pick.placeId,
      release: () => {
        if (released) return;
        released = true;
        this.inUse.set(pick.placeId, (this.inUse.get(pick.placeId) ?? 1) - 1);
        this.wake();
      },
    };
  }

  /** Serves waiters in arrival order; one that cannot be placed yet keeps its turn. */
  private wake(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i]!;
      const lease = this.tryTake(waiter.choose);
      if (!lease) {
        // Its places are all busy; a later waiter may want a different (free) place.
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(lease);
    }
  }
}
