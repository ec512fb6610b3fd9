import type { BackoffView } from "./types.js";

export interface BackoffOptions {
  /**
   * How long a failed host is left out, in ms (`DISTCC_BACKOFF_PERIOD` x 1000; distcc's default 60 s).
   * 0 disables backoff like distcc; retries of one job are still capped by the scheduler.
   */
  readonly periodMs?: number;
  /**
   * Longest period for a host that keeps failing (default 8 x `periodMs`): each failure that follows
   * the end of a backoff without a success in between doubles the period up to this. Set it to
   * `periodMs` for distcc's fixed period.
   */
  readonly maxPeriodMs?: number;
}

export interface BackoffJSON {
  readonly periodMs: number;
  readonly maxPeriodMs?: number;
  /** host id -> time of its last failure (ms). */
  readonly failedAt: Record<string, number>;
  /** host id -> current period (ms), when it grew. */
  readonly periods?: Record<string, number>;
}

export const DEFAULT_BACKOFF_PERIOD_MS = 60_000;

/**
 * distcc's backoff (spec 9.7): a host that failed is left out for a period after its LAST failure; a
 * success on it clears it at once. Unlike distcc, a host that fails again as soon as it is back gets a
 * doubled period (up to `maxPeriodMs`), so a dead host costs a retry every few minutes, not every one.
 */
export class Backoff implements BackoffView {
  readonly periodMs: number;
  readonly maxPeriodMs: number;
  readonly #failedAt = new Map<string, number>();
  readonly #period = new Map<string, number>();

  constructor(options: BackoffOptions = {}) {
    this.periodMs = Math.max(0, options.periodMs ?? DEFAULT_BACKOFF_PERIOD_MS);
    this.maxPeriodMs = Math.max(this.periodMs, options.maxPeriodMs ?? 8 * this.periodMs);
  }

  /**
   * Reads `DISTCC_BACKOFF_PERIOD` (seconds) in ms, the way distcc 3.4 does (`atoi`): unset → 60 s;
   * set → its leading integer, so `""`, `abc` and `0` all disable backoff, `12abc` is 12 s, and a
   * negative period (never in backoff in distcc) is 0.
   */
  static periodFromEnv(value: string | undefined): number {
    if (value === undefined) return DEFAULT_BACKOFF_PERIOD_MS;
    const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(value);
    const seconds = match ? Number.parseInt(match[1]!, 10) : 0;
    return Math.max(0, seconds) * 1000;
  }

  fail(hostId: string, now: number): void {
    if (this.periodMs === 0) return;
    const last = this.#failedAt.get(hostId);
    const period = this.#periodOf(hostId);
    // Failed again after its backoff ended (no success since): it is probably still down.
    if (last !== undefined && now - last >= period) {
      this.#period.set(hostId, Math.min(this.maxPeriodMs, period * 2));
    }
    this.#failedAt.set(hostId, now);
  }

  succeed(hostId: string): void {
    this.#failedAt.delete(hostId);
    this.#period.delete(hostId);
  }

  /**
   * Failed and not succeeded since (its backoff may have ended): a policy sends it one job at a time
   * until it answers, rather than a slot's worth of jobs that would all fail again.
   */
  onProbation(hostId: string): boolean {
    return this.#failedAt.has(hostId);
  }

  isBackedOff(hostId: string, now: number): boolean {
    return this.backedOffUntil(hostId, now) !== undefined;
  }

  /** When `hostId` comes back (ms), or undefined if it is not backed off. */
  backedOffUntil(hostId: string, now: number): number | undefined {
    const at = this.#failedAt.get(hostId);
    if (at === undefined) return undefined;
    const until = at + this.#periodOf(hostId);
    return now < until ? until : undefined;
  }

  toJSON(): BackoffJSON {
    return {
      periodMs: this.periodMs,
      maxPeriodMs: this.maxPeriodMs,
      failedAt: Object.fromEntries(this.#failedAt),
      periods: Object.fromEntries(this.#period),
    };
  }

  static fromJSON(json: BackoffJSON, options: BackoffOptions = {}): Backoff {
    const maxPeriodMs = options.maxPeriodMs ?? json.maxPeriodMs;
    const backoff = new Backoff({
      periodMs: options.periodMs ?? json.periodMs,
      ...(typeof maxPeriodMs === "number" ? { maxPeriodMs } : {}),
    });
    const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
    for (const [id, at] of Object.entries(json.failedAt ?? {})) if (finite(at)) backoff.#failedAt.set(id, at);
    for (const [id, p] of Object.entries(json.periods ?? {})) {
      if (finite(p)) backoff.#period.set(id, Math.min(backoff.maxPeriodMs, Math.max(backoff.periodMs, p)));
    }
    return backoff;
  }

  #periodOf(hostId: string): number {
    return this.#period.get(hostId) ?? this.periodMs;
  }
}
