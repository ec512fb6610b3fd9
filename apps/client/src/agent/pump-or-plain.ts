// Pump or plain for a `,cpp` host, from what the agent measured (pure: figures in, decision out).
//
// Pump mode moves each job's preprocessing from this machine to the helper. That is a gain while the
// helper keeps up, and a loss when the helper is the slower side: a helper with less CPU than this
// machine then does this machine's work too, and the build waits on it while this machine idles.
// Both sides are measured in the same unit, the time a job holds the side (its share while jobs
// overlap, see ShareClock): the helper's time per pump job (its compile and its preprocessing), and
// this machine's time per preprocessing. A preprocessing measured on a busy machine takes longer,
// so a machine without spare CPU keeps its helpers in pump mode; a helper with a slot free is not
// the bottleneck, so it keeps pump mode too (and gets no probe).

export type JobMode = "pump" | "plain";

/** What the agent measured for one `,cpp` host, and the mode it is in. */
export interface ModeFigures {
  /** Where the host stands (pump until the figures say otherwise). */
  readonly mode: JobMode;
  /** The helper's time per pump job, ms (decayed mean); undefined: never measured. */
  readonly pumpMs?: number;
  /** Pump jobs measured there. */
  readonly pumpJobs: number;
  /** ms since the helper's last pump job was measured. */
  readonly pumpAgeMs?: number;
  /** This machine's time per preprocessing, ms (decayed mean); undefined: never measured. */
  readonly cppMs?: number;
  /** ms since this machine's last preprocessing was measured. */
  readonly cppAgeMs?: number;
  /** Jobs decided for this host since one last went the other way (its mode's probe counter). */
  readonly sinceOther: number;
  /** Hosts this machine's preprocessing would feed with this one in plain mode (this one included, >= 1). */
  readonly fed: number;
  /** Every slot of the host is taken now: only then can it be what the build waits for. */
  readonly full: boolean;
}

export interface ModeDecision {
  /** How this job goes to the host. */
  readonly mode: JobMode;
  /** A job in the other mode than the host's, to measure that mode (the host stays where it is). */
  readonly probe: boolean;
  /** The host's mode from now on (differs from the figures' `mode` on a switch). */
  readonly hostMode: JobMode;
  /** Why, in words for DISTCC_VERBOSE and the summary. */
  readonly reason: string;
}

export interface ModeRules {
  /** Pump jobs measured before the helper's figure is trusted. */
  readonly minPumpJobs: number;
  /** To plain when the helper's time per pump job exceeds `toPlain` x fed x this machine's preprocessing. */
  readonly toPlain: number;
  /** Back to pump when it falls below `toPump` x fed x the preprocessing (hysteresis: toPump < toPlain). */
  readonly toPump: number;
  /** In plain mode, every `probeEvery`-th job goes pump, to see whether the helper became fast again. */
  readonly probeEvery: number;
  /** In pump mode, a preprocessing measured longer ago than this is measured again (one plain job)... */
  readonly cppFreshMs: number;
  /**
   * ...or longer ago than this once the helper's time per job is over toPump x that figure: the
   * switch is near, and a figure from a moment when this machine was busier (an earlier build) would
   * hold it back.
   */
  readonly cppRecheckMs: number;
  /** ...but at most once per `probeGap` jobs (the probe's figure takes a moment to come). */
  readonly probeGap: number;
  /** Figures older than this are forgotten: a host in plain mode goes back to pump (a later build starts afresh). */
  readonly forgetMs: number;
}

export const DEFAULT_MODE_RULES: ModeRules = {
  minPumpJobs: 3,
  toPlain: 1.5,
  toPump: 1,
  probeEvery: 16,
  cppFreshMs: 15_000,
  cppRecheckMs: 3_000,
  probeGap: 8,
  forgetMs: 10 * 60_000,
};

const ms = (x: number): string => `${Math.round(x)} ms`;

/** Pump or plain for the next job a `,cpp` host may get. */
export function decideMode(f: ModeFigures, rules: ModeRules = DEFAULT_MODE_RULES): ModeDecision {
  const stay = (mode: JobMode, reason: string, probe = false): ModeDecision => ({
    mode: probe ? other(mode) : mode,
    probe,
    hostMode: mode,
    reason,
  });
  const fed = Math.max(1, f.fed);
  const fedNote = fed > 1 ? ` (x${fed}: it feeds ${fed} helpers)` : "";
  if (f.pumpMs === undefined || f.pumpJobs < rules.minPumpJobs) return stay("pump", "the helper is still measured");
  const pump = f.pumpMs;
  const near = f.cppMs !== undefined && pump > rules.toPump * fed * f.cppMs;
  const cppKnown = f.cppMs !== undefined && (f.cppAgeMs ?? Infinity) <= (near ? rules.cppRecheckMs : rules.cppFreshMs);
  const compare = (cpp: number): string =>
    `the helper takes ${ms(pump)} per job with its preprocessing, this machine ${ms(cpp)} per preprocessing${fedNote}`;

  if (f.mode === "pump") {
    // A helper with a slot free is not what the build waits for: no probe, no switch.
    if (!f.full) return stay("pump", "the helper has a slot free");
    if (!cppKnown) {
      return f.sinceOther >= rules.probeGap
        ? stay("pump", "probe: measuring this machine's preprocessing", true)
        : stay("pump", "this machine's preprocessing is not measured lately");
    }
    const cpp = f.cppMs!;
    return pump > rules.toPlain * fed * cpp
      ? { mode: "plain", probe: false, hostMode: "plain", reason: compare(cpp) }
      : stay("pump", compare(cpp));
  }

  // Plain: back to pump when the figures are too old to say anything, or the helper is fast again.
  const age = Math.min(f.pumpAgeMs ?? Infinity, f.cppAgeMs ?? Infinity);
  if (f.cppMs === undefined || age > rules.forgetMs)
    return { mode: "pump", probe: false, hostMode: "pump", reason: "the figures are old: measuring again" };
  const cpp = f.cppMs;
  if (pump < rules.toPump * fed * cpp)
    return { mode: "pump", probe: false, hostMode: "pump", reason: `the helper is fast again: ${compare(cpp)}` };
  if (f.sinceOther >= rules.probeEvery) return stay("plain", "probe: measuring the helper in pump mode again", true);
  return stay("plain", compare(cpp));
}

/**
 * How one job goes, given each `,cpp` host's decision: pump when every one says pump, plain when
 * every one says plain. With both kinds, pump while a pump-mode host has a slot free (the job then
 * goes only there: a pump job cannot go to a host in plain mode), else plain (it may go anywhere).
 */
export function jobMode(hosts: readonly { readonly id: string; readonly mode: JobMode; readonly free: boolean }[]): {
  mode: JobMode;
  excluded: string[];
} {
  const plain = hosts.filter((h) => h.mode === "plain").map((h) => h.id);
  if (plain.length === 0) return { mode: "pump", excluded: [] };
  if (plain.length === hosts.length) return { mode: "plain", excluded: [] };
  const pumpFree = hosts.some((h) => h.mode === "pump" && h.free);
  return pumpFree ? { mode: "pump", excluded: plain } : { mode: "plain", excluded: [] };
}

function other(mode: JobMode): JobMode {
  return mode === "pump" ? "plain" : "pump";
}
