/**
 * The time a piece of work holds a shared resource (a helper, this machine's CPU): while n pieces run
 * at once, each is charged 1/n of the wall time. On a resource that shares itself evenly among what
 * runs (a CPU, a helper's slots) that is its cost alone, and summed over the pieces it is the time the
 * resource was busy: the inverse of its throughput, whatever the concurrency. Time is an input.
 */
export class ShareClock {
  #running = 0;
  #at: number | undefined;
  /** Integral of dt / running since the first start. */
  #virtual = 0;

  /** A piece starts at `now`; call the returned function when it ends: its share, in ms. */
  start(now: number): (end: number) => number {
    this.#advance(now);
    this.#running++;
    const from = this.#virtual;
    let ended = false;
    return (end: number): number => {
      if (ended) return 0;
      ended = true;
      this.#advance(end);
      this.#running--;
      return this.#virtual - from;
    };
  }

  get running(): number {
    return this.#running;
  }

  #advance(now: number): void {
    if (this.#at !== undefined && now > this.#at && this.#running > 0) {
      this.#virtual += (now - this.#at) / this.#running;
    }
    if (this.#at === undefined || now > this.#at) this.#at = now;
  }
}
