import { DEFAULT_MODE_RULES, decideMode, type JobMode, type ModeDecision, type ModeRules } from "./pump-or-plain.js";
import { ShareClock } from "./share-clock.js";

/** Weight of a new preprocessing's figure in the decayed mean: about the last half-dozen count. */
const CPP_WEIGHT = 0.3;
/** Weight of a new pump job's figure: a helper that slowed down (a new build) is seen within 2-3 jobs. */
const PUMP_WEIGHT = 0.5;
/** A pump job measured while the host is in plain mode (a probe, one in `probeEvery`): it counts more. */
const PROBE_WEIGHT = 0.6;

interface HostRecord {
  mode: JobMode;
  pumpMs: number | undefined;
  pumpJobs: number;
  pumpAt: number | undefined;
  sinceOther: number;
}

/**
 * The figures behind pump-or-plain (pump-or-plain.ts), kept by the agent: per `,cpp` host the
 * helper's time per pump job, and this machine's time per preprocessing, both as shares of the side
 * while jobs overlap (ShareClock), decayed means. One per agent; nothing global.
 */
export class PumpModes {
  readonly #hosts = new Map<string, HostRecord>();
  readonly #helpers = new Map<string, ShareClock>();
  readonly #cppClock = new ShareClock();
  #cppMs: number | undefined;
  #cppAt: number | undefined;

  constructor(readonly rules: ModeRules = DEFAULT_MODE_RULES) {}

  /** A preprocessing here starts; the returned function records it when it ended (false: it did not run). */
  cppStarted(now = Date.now()): (ran: boolean, end?: number) => void {
    const stop = this.#cppClock.start(now);
    return (ran, end = Date.now()) => {
      const share = stop(end);
      if (!ran) return;
      this.#cppMs = mean(this.#cppMs, share, CPP_WEIGHT);
      this.#cppAt = end;
    };
  }

  /**
   * A job is sent to `hostId`; the returned function records it when answered (`pump`: whether it
   * was a pump job; undefined: no answer, nothing learned). `serverMs`: the part of the exchange the
   * helper held it (request sent to first byte of the answer): on a slow client much of an exchange
   * is this machine writing and reading, which is not the helper's time.
   */
  helperStarted(
    hostId: string,
    now = Date.now(),
  ): (pump: boolean | undefined, serverMs?: number, end?: number) => void {
    let clock = this.#helpers.get(hostId);
    if (!clock) {
      clock = new ShareClock();
      this.#helpers.set(hostId, clock);
    }
    const stop = clock.start(now);
    return (pump, serverMs, end = Date.now()) => {
      const whole = stop(end);
      if (pump !== true) return;
      const elapsed = end - now;
      const share = serverMs !== undefined && elapsed > 0 ? whole * Math.min(1, serverMs / elapsed) : whole;
      const h = this.#record(hostId);
      h.pumpMs = mean(h.pumpMs, share, h.mode === "plain" ? PROBE_WEIGHT : PUMP_WEIGHT);
      h.pumpJobs++;
      h.pumpAt = end;
    };
  }

  /** The decision for the next job `hostId` may get (`fed`, `full`: see ModeFigures); counts it. */
  decide(hostId: string, fed: number, full: boolean, now = Date.now()): ModeDecision {
    const h = this.#record(hostId);
    const d = decideMode(
      {
        mode: h.mode,
        pumpJobs: h.pumpJobs,
        sinceOther: h.sinceOther,
        fed,
        full,
        ...(h.pumpMs !== undefined ? { pumpMs: h.pumpMs } : {}),
        ...(h.pumpAt !== undefined ? { pumpAgeMs: now - h.pumpAt } : {}),
        ...(this.#cppMs !== undefined ? { cppMs: this.#cppMs } : {}),
        ...(this.#cppAt !== undefined ? { cppAgeMs: now - this.#cppAt } : {}),
      },
      this.rules,
    );
    h.sinceOther = d.mode !== d.hostMode || d.hostMode !== h.mode ? 0 : h.sinceOther + 1;
    h.mode = d.hostMode;
    return d;
  }

  /** The host's mode now (pump for a host never decided). */
  modeOf(hostId: string): JobMode {
    return this.#hosts.get(hostId)?.mode ?? "pump";
  }

  #record(hostId: string): HostRecord {
    let h = this.#hosts.get(hostId);
    if (!h) {
      // A first probe may come as soon as the helper's figure is known.
      h = { mode: "pump", pumpMs: undefined, pumpJobs: 0, pumpAt: undefined, sinceOther: this.rules.probeGap };
      this.#hosts.set(hostId, h);
    }
    return h;
  }
}

function mean(old: number | undefined, value: number, weight: number): number {
  return old === undefined ? value : old + weight * (value - old);
}
