/**
 * The share of recent time during which a condition held (here: every helper slot was taken), with
 * exponentially decaying weights so the figure follows the build as it goes. Pure: time is an input;
 * the caller says at each event whether the condition holds from then on.
 */
export class Occupancy {
  readonly halfLifeMs: number;
  #on = false;
  #at: number | undefined;
  #onMs = 0;
  #allMs = 0;

  constructor(halfLifeMs = 10_000) {
    this.halfLifeMs = halfLifeMs;
  }

  /** From `now` on, the condition holds (`on`) or not. */
  set(on: boolean, now: number): void {
    this.#advance(now);
    this.#on = on;
  }

  /** Decayed share of the observed time the condition held; undefined before any time passed. */
  share(now: number): number | undefined {
    this.#advance(now);
    return this.#allMs > 0 ? this.#onMs / this.#allMs : undefined;
  }

  #advance(now: number): void {
    if (this.#at === undefined) {
      this.#at = now;
      return;
    }
    const dt = now - this.#at;
    if (!(dt > 0)) return;
    // Exact integral of a decaying weight over [at, now]: the older part of the interval weighs less.
    const f = 0.5 ** (dt / this.halfLifeMs);
    const span = ((1 - f) * this.halfLifeMs) / Math.LN2;
    this.#onMs = this.#onMs * f + (this.#on ? span : 0);
    this.#allMs = this.#allMs * f + span;
    this.#at = now;
  }
}
