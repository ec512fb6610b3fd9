// The earliest-finish policy: named steps and cost terms over one Choice; kept whole so the terms
// are read beside the rule that adds them (measurements in docs/scheduling.md).
import { lowestFreeSlot, takenSlots } from "../slots.js";
import { LOCAL_ID, type JobInfo, type Placement, type Policy, type SchedulerState } from "../types.js";
import { localSlotOrWait } from "./local-slot.js";

export interface EarliestFinishOptions {
  /**
   * A place whose last observation is older than this (ms) gets one probing job when it is idle, so a
   * host that got faster is noticed (default 60 s). Infinity = never re-probe.
   */
  readonly reprobeAfterMs?: number;
  /**
   * A remote place must beat this machine by this factor to be chosen over it when both are free
   * (default 1.0: plain earliest finish). Above 1 favours local work, e.g. on a metered link.
   */
  readonly remoteMargin?: number;
  /**
   * Wait for a busy place only if it is expected to finish the job this many times sooner than the best
   * free place (default 1.25). Above 1 because a waiting job holds nothing and does nothing, while
   * capacity left idle now is lost for good.
   */
  readonly waitFactor?: number;
  /**
   * An idle place known from fewer jobs than this (decayed count) gets another probing job (default 0,
   * off: in the simulated farms, probing slow places again cost more than it found).
   */
  readonly minSamples?: number;
}

/**
 * Helpers whose capacity is at least this share of the build's pace count as keeping up with it: on a
 * weak client feeding one strong helper, the two are about even (the helper ~75 % busy).
 */
const KEEP_PACE_MARGIN = 0.8;

/**
 * Helpers whose own times say they could take this many times the build's pace are not what holds the
 * build (idle a third of the time or more). A helper that is the bottleneck measures about 1; the
 * margin above that allows for a helper's own time including jobs queued inside a real distccd
 * (docs/scheduling.md, "Why the default policy's thresholds").
 */
const HELPERS_FAR_AHEAD = 1.5;

/** Remote jobs' preprocessing (in jobs) above which this machine is not probed. */
const LOCAL_PROBE_MAX_EXTRA_LOAD = 1;

/** One place the job could go to, with its expected finish. */
interface Candidate {
  readonly id: string;
  readonly local: boolean;
  readonly order: number;
  readonly freeSlot: number | undefined;
  readonly finish: number;
  readonly probe: boolean;
}

/** What one choice is made from: the scheduler's state, the job, the time, the policy's options. */
interface Choice {
  readonly state: SchedulerState;
  readonly job: JobInfo;
  readonly now: number;
  readonly options: Required<EarliestFinishOptions>;
}

/** A place the job may go to: a usable helper, or this machine. */
interface Place {
  readonly id: string;
  readonly local: boolean;
  readonly limit: number;
  readonly taken: ReadonlySet<number>;
}

/** The jobs running now: where, and when those with an estimate are expected to end. */
interface Running {
  readonly busy: ReadonlySet<string>;
  readonly endsAt: ReadonlyMap<string, readonly number[]>;
}

/** What holds for the whole farm during one choice (the same for every place). */
interface FarmFacts {
  /** A helper is busy with its first jobs (no estimate yet). */
  readonly helperProbing: boolean;
  /** A helper does a whole job in less than twice this machine's preprocessing alone. */
  readonly helperBeatsCpp: boolean;
  /** This machine's CPU is saturated and the helpers keep the build's pace. */
  readonly helpersKeepUp: boolean;
  /** ... and by their own times they could take far more than that pace. */
  readonly helpersFarAhead: boolean;
}

/**
 * The default policy: the place (this machine or a host) where the job is expected to FINISH first,
 * from what the model learned (speed and transfer cost per place, at the load the job would meet) and
 * what is queued there. This machine counts as a place, so a helper slower than the client only gets
 * the work it finishes sooner. A busy place is waited for only when clearly better than every free
 * one. Helpers never measured are filled like distcc would (a cold start follows distcc's order; a
 * helper back from a failure gets one job at a time); this machine is probed with one job when a job
 * would otherwise wait, or when the free helpers lag the build's pace, and never while the
 * preprocessing of jobs in flight already loads it. A place not measured yet is never waited for.
 */
export function earliestFinishPolicy(options: EarliestFinishOptions = {}): Policy {
  const resolved: Required<EarliestFinishOptions> = {
    reprobeAfterMs: options.reprobeAfterMs ?? 60_000,
    remoteMargin: options.remoteMargin ?? 1,
    waitFactor: options.waitFactor ?? 1.25,
    minSamples: options.minSamples ?? 0,
  };
  return {
    name: "earliest-finish",
    choose(state, job, now) {
      if (job.localOnly) return localSlotOrWait(state.local);
      const { candidates, usableHelpers, helperProbing } = listCandidates({ state, job, now, options: resolved });
      const place = (c: Candidate): Placement =>
        c.local ? { kind: "local", slot: c.freeSlot! } : { kind: "remote", hostId: c.id, slot: c.freeSlot! };
      // 1. A helper to (re)learn goes first: a cold start fills helpers like distcc.
      const remoteProbe = candidates.find((c) => c.probe && !c.local);
      if (remoteProbe) return place(remoteProbe);
      // Known places, and those with a slot free now.
      const known = candidates.filter((c) => !c.probe);
      const free = known.filter((c) => c.freeSlot !== undefined);
      // 2. This machine, once, if it may be probed now (see needsProbe), no helper is still on its
      // first jobs, and the free helpers lag the build's pace (see helpersLag): without it, a build
      // could stay on helpers far slower than this machine.
      const localProbe = candidates.find((c) => c.probe && c.local);
      if (localProbe && !helperProbing && helpersLag(free, state.arrivalMs, now)) return place(localProbe);
      // 3. The earliest expected finish among known places; a busy one only if clearly better.
      let best = pickBest(job.urgent ? free : known);
      if (best && best.freeSlot === undefined) {
        const bestFree = pickBest(free);
        if (bestFree && bestFree.finish - now <= resolved.waitFactor * (best.finish - now)) best = bestFree;
      }
      if (best && best.freeSlot !== undefined) return place(best);
      // 4. Rather than wait, learn this machine. In distcc's flow (jobs preprocessed under their lease)
      // not while a helper is still on its first jobs: this machine is then busy preprocessing the
      // jobs those helpers run. In our agent's flow this machine is idle while a job waits, so it is
      // probed at once: a helper far slower than it would otherwise hold the build until its first
      // result. (Measured costs of both: docs/scheduling.md.)
      if (localProbe && !(helperProbing && job.preprocessesUnderLease === true)) return place(localProbe);
      if (best) return { kind: "wait", placeId: best.id };
      // 5. Nothing to choose: wait for a helper that will report (first results), or fall back to this
      // machine when no helper is usable at all (distcc's fallback).
      return usableHelpers ? { kind: "wait" } : localSlotOrWait(state.local);
    },
  };
}

/** Every usable place with its expected finish for this job (or as a probe), in list order. */
function listCandidates(choice: Choice): { candidates: Candidate[]; usableHelpers: boolean; helperProbing: boolean } {
  const running = runningJobs(choice.state);
  const places = usablePlaces(choice, running);
  const farm = farmFacts(choice, places, running);
  const candidates: Candidate[] = [];
  places.forEach((p, order) => {
    const c = candidateAt(choice, farm, running, p, order);
    if (c) candidates.push(c);
  });
  return { candidates, usableHelpers: places.some((p) => !p.local), helperProbing: farm.helperProbing };
}

function runningJobs(state: SchedulerState): Running {
  const endsAt = new Map<string, number[]>();
  const busy = new Set<string>();
  for (const r of state.running ?? []) {
    busy.add(r.placeId);
    if (r.expectedEndAt !== undefined) {
      const ends = endsAt.get(r.placeId) ?? [];
      ends.push(r.expectedEndAt);
      endsAt.set(r.placeId, ends);
    }
  }
  return { busy, endsAt };
}

/**
 * The places: every usable remote host (first listing wins), then this machine. localhost entries are
 * this machine; their limit widens its pool like distcc's shared lock files.
 */
function usablePlaces({ state, job, now }: Choice, running: Running): Place[] {
  const excluded = new Set(job.excluded ?? []);
  const places: Place[] = [];
  const seen = new Set<string>();
  let localLimit = state.local.limit;
  for (const h of state.hosts) {
    if (h.local) {
      localLimit = Math.max(localLimit, h.limit);
      continue;
    }
    if (seen.has(h.id) || h.down || h.limit <= 0 || excluded.has(h.id)) continue;
    if (state.backoff?.isBackedOff(h.id, now)) continue;
    // Back from a failure: one job at a time until it answers (a host still down would otherwise fail
    // a whole slot's worth of jobs, and each lost its preprocessing, every time its backoff ended).
    if (state.backoff?.onProbation?.(h.id) && running.busy.has(h.id)) continue;
    seen.add(h.id);
    places.push({ id: h.id, local: false, limit: h.limit, taken: takenSlots(h) });
  }
  if (!excluded.has(LOCAL_ID) && localLimit > 0) {
    places.push({ id: LOCAL_ID, local: true, limit: localLimit, taken: takenSlots(state.local) });
  }
  return places;
}

/** The model's time for this job at a place under `load` jobs (undefined: not measured there). */
function estimateAt({ state, job, now }: Choice, id: string, load: number): number | undefined {
  return state.model?.estimate(id, job.inputBytes, now, load);
}

function farmFacts(choice: Choice, places: readonly Place[], running: Running): FarmFacts {
  const { state, now } = choice;
  const helperProbing = places.some(
    (p) => !p.local && running.busy.has(p.id) && estimateAt(choice, p.id, 1) === undefined,
  );
  // A local compile costs at least its preprocessing plus a compile that usually costs more: when a
  // helper does the whole job in less than twice the preprocessing alone, this machine cannot win and
  // is not worth a probe (a weak client feeding strong helpers).
  const cppMs = state.model?.clientMs?.(now) ?? 0;
  const bestRemote = Math.min(...places.filter((p) => !p.local).map((p) => estimateAt(choice, p.id, 1) ?? Infinity));
  const helpersKeepUp =
    state.localSaturated === true &&
    helpersKeepPace(places, (id, load) => estimateAt(choice, id, load), state.arrivalMs);
  return {
    helperProbing,
    helperBeatsCpp: cppMs > 0 && bestRemote < 2 * cppMs,
    helpersKeepUp,
    helpersFarAhead: helpersKeepUp && helpersFarAhead(places, state.helperMs, state.arrivalMs),
  };
}

/** One place as a candidate: a probe, or its expected finish; undefined when that cannot be told. */
function candidateAt(
  choice: Choice,
  farm: FarmFacts,
  running: Running,
  p: Place,
  order: number,
): Candidate | undefined {
  const { state, now } = choice;
  const freeSlot = lowestFreeSlot(p.taken, p.limit);
  const ahead = state.queuedFor?.[p.id] ?? 0;
  const startsNow = freeSlot !== undefined && ahead === 0;
  if (startsNow && needsProbe(choice, farm, running, p)) {
    return { id: p.id, local: p.local, order, freeSlot, finish: now, probe: true };
  }
  // Time per job at this place under a load. Unknown means not measured: a host waits for its first
  // result, this machine for its probe's. No figure stands in meanwhile: the only one at hand, a
  // helper's time at load 1, is far below what a full helper or this busy machine take, and jobs then
  // waited for this machine, or crowded it, while helpers had slots free.
  const scale = p.local ? 1 : choice.options.remoteMargin;
  const jobMs = (load: number): number | undefined => {
    const e = estimateAt(choice, p.id, load);
    return e === undefined ? undefined : e * scale;
  };
  // This machine also runs the preprocessing of the jobs in flight to helpers.
  const extra = p.local ? (state.localLoadExtra ?? 0) : 0;
  const harm = p.local ? localCompileHarm(state, farm, jobMs(1)) : 0;
  if (startsNow) {
    const e = jobMs(p.taken.size + 1 + extra);
    return e === undefined
      ? undefined
      : { id: p.id, local: p.local, order, freeSlot, finish: now + e + harm, probe: false };
  }
  const full = jobMs(p.limit + extra);
  if (full === undefined) return undefined;
  const finish = slotFreeAt(p, running.endsAt.get(p.id) ?? [], ahead, full, now) + full + harm;
  return { id: p.id, local: p.local, order, freeSlot: undefined, finish, probe: false };
}

/**
 * Whether the place gets a probing job (when it has a slot free and nobody queues for it). A helper
 * never measured is filled like distcc would until its first result; this machine, and a place not
 * measured lately (`reprobeAfterMs`) or on too few jobs (`minSamples`), get one job when idle.
 */
function needsProbe(choice: Choice, farm: FarmFacts, running: Running, p: Place): boolean {
  const { state, job, now, options } = choice;
  const model = state.model;
  const idle = !running.busy.has(p.id) && p.taken.size === 0;
  const last = model?.lastObservedAt?.(p.id);
  const alone = estimateAt(choice, p.id, 1);
  const stale =
    alone !== undefined &&
    ((last !== undefined && now - last > options.reprobeAfterMs) ||
      (model?.weight?.(p.id, now) ?? Infinity) < options.minSamples);
  // This machine is not probed while the preprocessing of jobs in flight already keeps it busy, nor
  // when a helper does a whole job in less than twice that preprocessing: a local compile would then
  // slow every job in flight.
  const localBusy = p.local && ((state.localLoadExtra ?? 0) >= LOCAL_PROBE_MAX_EXTRA_LOAD || farm.helperBeatsCpp);
  // A helper measured only on jobs far smaller than this one cannot say how long this one takes
  // there (an extrapolation from one tiny file says minutes): it is probed with it, like a new helper.
  const unpredictable = !p.local && alone !== undefined && model?.covers?.(p.id, job.inputBytes, now) === false;
  // A saturated CPU here is not re-probed: the probe's compile would come out of the preprocessing.
  const reprobe = stale && idle && !localBusy && !(p.local && state.localSaturated === true);
  return alone === undefined || unpredictable ? (p.local ? idle && !localBusy : true) : reprobe;
}

/**
 * What a compile here costs the rest of the build, in ms added to its finish: it slows the
 * preprocessing of the jobs in flight to helpers by about its own time alone (`aloneMs`).
 *
 * - While this machine preprocesses remote jobs (`localLoadExtra`), that share is charged.
 * - When its CPU is saturated and the helpers keep the build's pace, the preprocessing is what limits
 *   the build, so the whole time is charged, scaled by the share of the time some helper slot was
 *   free: helpers slower than this machine are full nearly all the time, the build waits on them, and
 *   a job done here is a gain. (The pace alone cannot tell: fewer local compiles slow the pace to
 *   what the helpers do, and they would then seem to keep up.)
 * - Not scaled when the helpers' own times say they are far ahead: their slots then look full only
 *   because this saturated machine is slow to send and read.
 * - Helpers that fall behind (a fast client), or an unsaturated CPU: nothing.
 */
function localCompileHarm(state: SchedulerState, farm: FarmFacts, aloneMs: number | undefined): number {
  const extra = state.localLoadExtra ?? 0;
  const feeding = farm.helpersKeepUp ? 1 - (farm.helpersFarAhead ? 0 : (state.helpersFullShare ?? 0)) : 0;
  return Math.max(extra, feeding) * (aloneMs ?? 0);
}

/**
 * When a full place (or one others queue for) has a slot for this job: its slots free as running jobs
 * end (a job without an estimate takes `fullMs` from now), then each of the `ahead` queued jobs takes
 * the first free slot for `fullMs`.
 */
function slotFreeAt(p: Place, runningEnds: readonly number[], ahead: number, fullMs: number, now: number): number {
  const frees = runningEnds.map((end) => Math.max(now, end));
  while (frees.length < p.limit) frees.push(frees.length < p.taken.size ? now + fullMs : now);
  frees.sort((a, b) => a - b);
  for (let k = 0; k < ahead; k++) {
    frees[0] = frees[0]! + fullMs;
    frees.sort((a, b) => a - b);
  }
  return frees[0]!;
}

/**
 * Whether the best free helper takes longer over this job than the build takes to make the next one
 * (`arrivalMs`, the mean interval between submits): only then can one more place (this machine) raise
 * the throughput. When helpers finish jobs faster than they come, the pace is set by what makes the
 * jobs (make's -j, or this machine's own preprocessing), and a local compile would only take CPU from
 * that preprocessing: on a weak client feeding strong helpers, a probe then cost 8 % of the build.
 * Unknown pace, or no free helper: true.
 */
function helpersLag(free: readonly Candidate[], arrivalMs: number | undefined, now: number): boolean {
  const helper = pickBest(free.filter((c) => !c.local));
  return arrivalMs === undefined || helper === undefined || helper.finish - now > arrivalMs;
}

/**
 * Whether the helpers, all slots busy, finish jobs at least as fast as the build makes them (within
 * KEEP_PACE_MARGIN): the sum over helpers of slots / expected time per job at full load, against one
 * job per `arrivalMs`. A helper not measured yet adds nothing. An unknown pace (a build's first jobs)
 * says yes: a saturated machine's first local compile would delay every preprocessing after it, and
 * helpers that fall behind are noticed within a few jobs.
 */
function helpersKeepPace(
  places: readonly HelperSlots[],
  estimateAt: (id: string, load: number) => number | undefined,
  arrivalMs: number | undefined,
): boolean {
  if (arrivalMs === undefined || !(arrivalMs > 0)) return true;
  const full = (p: HelperSlots): number | undefined => {
    const ms = estimateAt(p.id, p.limit);
    return ms !== undefined && ms > 0 ? ms : undefined;
  };
  return helperJobsPerMs(places, full).jobsPerMs * arrivalMs >= KEEP_PACE_MARGIN;
}

/**
 * Whether the helpers, by their own time per job (SchedulerState.helperMs: request out to answer, not
 * the whole exchange), could do at least HELPERS_FAR_AHEAD times the jobs the build makes: then they
 * are not what holds the build, even when all their slots are taken (on a saturated client a slot is
 * held mostly while this machine sends and reads). Every usable helper must have reported its time.
 * A helper that is the bottleneck cannot pass this however few jobs are kept here: all jobs going
 * there, the build's pace is its pace (ratio 1), so this test has no feedback loop.
 */
function helpersFarAhead(
  places: readonly HelperSlots[],
  helperMs: Readonly<Record<string, number>> | undefined,
  arrivalMs: number | undefined,
): boolean {
  if (!helperMs || arrivalMs === undefined || !(arrivalMs > 0)) return false;
  const own = (p: HelperSlots): number | undefined => {
    const ms = helperMs[p.id];
    return ms === undefined ? undefined : Math.max(ms, 1);
  };
  const { jobsPerMs, allKnown } = helperJobsPerMs(places, own);
  return allKnown && jobsPerMs > 0 && jobsPerMs * arrivalMs >= HELPERS_FAR_AHEAD;
}

type HelperSlots = { id: string; local: boolean; limit: number };

/**
 * Jobs per ms the helpers could finish with every slot busy, at `msPerJob` each (a helper without a
 * time adds nothing), and whether every helper had one.
 */
function helperJobsPerMs(
  places: readonly HelperSlots[],
  msPerJob: (p: HelperSlots) => number | undefined,
): { jobsPerMs: number; allKnown: boolean } {
  let jobsPerMs = 0;
  let allKnown = true;
  for (const p of places) {
    if (p.local) continue;
    const ms = msPerJob(p);
    if (ms === undefined) allKnown = false;
    else jobsPerMs += p.limit / ms;
  }
  return { jobsPerMs, allKnown };
}

/** Earliest finish; ties go to a free place, then this machine, then list order. */
function pickBest(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!best || better(c, best)) best = c;
  }
  return best;
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.finish !== b.finish) return a.finish < b.finish;
  const aFree = a.freeSlot !== undefined;
  const bFree = b.freeSlot !== undefined;
  if (aFree !== bFree) return aFree;
  if (a.local !== b.local) return a.local;
  return a.order < b.order;
}
