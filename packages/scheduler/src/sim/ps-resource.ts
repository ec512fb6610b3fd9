/**
 * A processor-sharing resource (a machine's CPUs, or a link's bandwidth): every active task progresses
 * at `min(perTaskRate, capacity / n)` units per ms, which is how an OS time-shares cores and how TCP
 * flows share a link, to first order.
 */
export class PsResource {
  readonly #tasks = new Map<number, { remaining: number; done: () => void }>();

  constructor(
    /** Total units per ms (cpus x speed, or bytes per ms). */
    private capacity: number,
    /** Units per ms one task can use at most (one CPU's speed; a link's whole bandwidth). */
    private perTaskRate: number,
  ) {}

  /** Changes the rates from now on (a machine that gets loaded by someone else). */
  setRates(capacity: number, perTaskRate: number): void {
    this.capacity = capacity;
    this.perTaskRate = perTaskRate;
  }

  get active(): number {
    return this.#tasks.size;
  }

  add(id: number, work: number, done: () => void): void {
    this.#tasks.set(id, { remaining: Math.max(0, work), done });
  }

  remove(id: number): boolean {
    return this.#tasks.delete(id);
  }

  rate(): number {
    const n = this.#tasks.size;
    return n === 0 ? 0 : Math.min(this.perTaskRate, this.capacity / n);
  }

  /** ms until the next task completes (Infinity if none). */
  nextCompletionIn(): number {
    const rate = this.rate();
    let soonest = Infinity;
    for (const t of this.#tasks.values()) soonest = Math.min(soonest, t.remaining / rate);
    return soonest;
  }

  /** Advances by `dt` ms and returns the callbacks of the tasks that completed, in insertion order. */
  advance(dt: number): (() => void)[] {
    const rate = this.rate();
    const done: (() => void)[] = [];
    for (const [id, t] of this.#tasks) {
      t.remaining -= rate * dt;
      if (t.remaining <= 1e-9) {
        this.#tasks.delete(id);
        done.push(t.done);
      }
    }
    return done;
  }
}
