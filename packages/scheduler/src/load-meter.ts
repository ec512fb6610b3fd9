/**
 * The time integral of each place's load, so that a finished job's mean concurrency (the jobs that
 * shared the place with it, itself included) is exact: the model learns the time per job at load 1.
 * The caller brings a place up to date (`touch`) before its load changes.
 */
export class LoadMeter {
  readonly #area = new Map<string, { area: number; at: number }>();
  readonly #startArea = new Map<number, number>();

  constructor(
    /** Load of a place right now (slots in use, plus whatever else weighs on it). */
    private readonly loadOf: (placeId: string, now: number) => number,
  ) {}

  /** Integrates the place's load up to `now`; returns the integral. */
  touch(placeId: string, now: number): number {
    const entry = this.#area.get(placeId) ?? { area: 0, at: now };
    if (now > entry.at) {
      entry.area += this.loadOf(placeId, now) * (now - entry.at);
      entry.at = now;
    }
    this.#area.set(placeId, entry);
    return entry.area;
  }

  /** A lease starts at `placeId` (call after `touch`, before the slot is taken). */
  start(leaseId: number, placeId: string, now: number): void {
    this.#startArea.set(leaseId, this.touch(placeId, now));
  }

  /** Mean load at the place since the lease started, itself included (at least 1). */
  mean(leaseId: number, placeId: string, startedAt: number, now: number): number {
    const start = this.#startArea.get(leaseId);
    const span = now - startedAt;
    if (start === undefined || span <= 0) return Math.max(1, this.loadOf(placeId, now));
    return Math.max(1, (this.touch(placeId, now) - start) / span);
  }

  end(leaseId: number): void {
    this.#startArea.delete(leaseId);
  }
}
