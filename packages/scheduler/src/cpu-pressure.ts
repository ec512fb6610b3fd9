import { SchedulerError } from "./errors.js";

export interface CpuPressureOptions {
  /** Weight of an observation halves every `halfLifeMs` (default 5 s): the signal is about now. */
  readonly halfLifeMs?: number;
  /** Stretch (wall / CPU time) from which this machine counts as saturated (default 2). */
  readonly saturatedAt?: number;
}

/** What a policy reads: whether this machine's CPU is the bottleneck now. */
export interface CpuPressureView {
  saturated(now: number): boolean;
}

export const DEFAULT_PRESSURE_HALF_LIFE_MS = 5_000;
export const DEFAULT_SATURATED_STRETCH = 2;

/**
 * Whether this machine's CPU is saturated, from work it runs anyway: each preprocessing's wall time
 * against the CPU time it used (its children included). On an idle CPU the two are close; when the
 * runnable work exceeds the cores (a Raspberry Pi running make -j8, a client throttled to a quarter
 * of a core) every process waits for a CPU and the wall time stretches. Then a compile kept here
 * takes its CPU from the preprocessing that feeds the helpers, and a policy can charge for that.
 *
 * The stretch is the ratio of decayed sums (not a mean of ratios), so the big preprocessings, whose
 * fixed costs (fork, exec, the agent's own latency) matter least, weigh the most.
 */
export class CpuPressure implements CpuPressureView {
  readonly halfLifeMs: number;
  readonly saturatedAt: number;
  #wall = 0;
  #cpu = 0;
  #at = 0;

  constructor(options: CpuPressureOptions = {}) {
    this.halfLifeMs = options.halfLifeMs ?? DEFAULT_PRESSURE_HALF_LIFE_MS;
    this.saturatedAt = options.saturatedAt ?? DEFAULT_SATURATED_STRETCH;
    if (!(this.halfLifeMs > 0)) {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_OPTION", `halfLifeMs must be > 0, got ${this.halfLifeMs}`);
    }
    if (!(this.saturatedAt > 1)) {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_OPTION", `saturatedAt must be > 1, got ${this.saturatedAt}`);
    }
  }

  /** One process that ran on this machine: `wallMs` from start to exit, `cpuMs` user + system. */
  observe(wallMs: number, cpuMs: number, now: number): void {
    if (!(wallMs > 0) || !(cpuMs > 0) || !Number.isFinite(wallMs) || !Number.isFinite(cpuMs)) return;
    this.#decay(now);
    this.#wall += wallMs;
    this.#cpu += cpuMs;
  }

  /** Decayed wall time over CPU time; undefined before anything was observed (or long after). */
  stretch(now: number): number | undefined {
    this.#decay(now);
    // Under a tenth of a millisecond of CPU left in the sums: nothing recent enough to tell.
    return this.#cpu > 0.1 ? this.#wall / this.#cpu : undefined;
  }

  saturated(now: number): boolean {
    return (this.stretch(now) ?? 0) >= this.saturatedAt;
  }

  #decay(now: number): void {
    if (now > this.#at) {
      const f = 0.5 ** ((now - this.#at) / this.halfLifeMs);
      this.#wall *= f;
      this.#cpu *= f;
      this.#at = now;
    }
  }
}
