import type { BackoffView } from "./types.js";

export interface BackoffOptions {
  /**
   * How long a failed host is left out, in ms (`DISTCC_BACKOFF_PERIOD` x 1000; distcc's default 60 s).
   * 0 disables backoff like distcc; retries of one job are still capped by the scheduler.
   */
  readonly periodMs?: number;
}

export interface BackoffJSON {
  readonly periodMs: number;
  /** host id -> time of its last failure (ms). */
  readonly failedAt: Record<string, number>;
}

export const DEFAULT_BACKOFF_PERIOD_MS = 60_000;

/**
 * distcc's backoff (spec 9.7): a host that failed is left out for `periodMs` after its LAST failure;
 * a success on it clears it at once.
 */
export class Backoff implements BackoffView {
  readonly periodMs: number;
  readonly #failedAt = new Map<string, number>();

  constructor(options: BackoffOptions = {}) {
    this.periodMs = Math.max(0, options.periodMs ?? DEFAULT_BACKOFF_PERIOD_MS);
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
    this.#failedAt.set(hostId, now);
  }

  succeed(hostId: string): void {
    this.#failedAt.delete(hostId);
  }

  isBackedOff(hostId: string, now: number): boolean {
    const at = this.#failedAt.get(hostId);
    return at !== undefined && now - at < this.periodMs;
  }

  /** When `hostId` comes back (ms), or undefined if it is not backed off. */
  backedOffUntil(hostId: string, now: number): number | undefined {
    const at = this.#failedAt.get(hostId);
    return at !== undefined && now - at < this.periodMs ? at + this.periodMs : undefined;
  }

  toJSON(): BackoffJSON {
    return { periodMs: this.periodMs, failedAt: Object.fromEntries(this.#failedAt) };
  }

  static fromJSON(json: BackoffJSON, options: BackoffOptions = {}): Backoff {
    const backoff = new Backoff({ periodMs: options.periodMs ?? json.periodMs });
    for (const [id, at] of Object.entries(json.failedAt ?? {})) {
      if (typeof at === "number" && Number.isFinite(at)) backoff.#failedAt.set(id, at);
    }
    return backoff;
  }
}
