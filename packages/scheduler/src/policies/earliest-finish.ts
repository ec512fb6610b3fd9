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
 * Helpers whose own times say they could take this many times the build's pace (helpersFarAhead):
 * idle a third of the time or more, they are not what holds the build. A helper that is the
 * bottleneck measures about 1 (its pace is the build's); 2 was tried first: with distccd running 2
 * of the 4 jobs sent (the rest queued, which counts in its own time) a strong helper measured about
 * 2, and 1-5 files of 120 were still compiled here.
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
  const reprobeAfterMs = options.reprobeAfterMs ?? 60_000;
  const remoteMargin = options.remoteMargin ?? 1;
  const waitFactor = options.waitFactor ?? 1.25;
  const minSamples = options.minSamples ?? 0;
  return {
    name: "earliest-finish",
    choose(state, job, now) {
      if (job.localOnly) return localSlotOrWait(state.local);
      const { candidates, usableHelpers, helperProbing } = listCandidates(state, job, now, reprobeAfterMs, remoteMargin, minSamples);
      const place = (c: Candidate): Placement =>
        c.local ? { kind: "local", slot: c.freeSlot! } : { kind: "remote", hostId: c.id, slot: c.freeSlot! };
      // 1. A helper to (re)learn goes first: a cold start fills helpers like distcc.
      const remoteProbe = candidates.find((c) => c.probe && !c.local);
      if (remoteProbe) return place(remoteProbe);
      // Known places, and those with a slot free now.
      const known = candidates.filter((c) => !c.probe);
      const free = known.filter((c) => c.freeSlot !== undefined);
      // 2. This machine, once, if it may be probed now (see listCandidates), no helper is still on its
      // first jobs, and the free helpers lag the build's pace (see helpersLag): without it, a build
      // could stay on helpers far slower than this machine.
      const localProbe = candidates.find((c) => c.probe && c.local);
      if (localProbe && !helperProbing && helpersLag(free, state.arrivalMs, now)) return place(localProbe);
      // 3. The earliest expected finish among known places; a busy one only if clearly better.
      let best = pickBest(job.urgent ? free : known);
      if (best && best.freeSlot === undefined) {
        const bestFree = pickBest(free);
        if (bestFree && bestFree.finish - now <= waitFactor * (best.finish - now)) best = bestFree;
      }
      if (best && best.freeSlot !== undefined) return place(best);
      // 4. Rather than wait, learn this machine; but in distcc's flow (jobs preprocessed under their
      // lease) not while a helper is still on its first jobs: until its first result, this machine is
      // busy with the preprocessing of the jobs those helpers run, and a probe then cost a weak client
      // 2.4 % of the build against distcc's order. In our agent's flow this machine is idle while a
      // job waits: it is probed at once (waiting there for the first result of a helper 7x slower
      // than this machine made a build 22 % slower than a local one, instead of 8 %).
      if (localProbe && !(helperProbing && job.preprocessesUnderLease === true)) return place(localProbe);
      if (best) return { kind: "wait", placeId: best.id };
      // 5. Nothing to choose: wait for a helper that will report (first results), or fall back to this
      // machine when no helper is usable at all (distcc's fallback).
      return usableHelpers ? { kind: "wait" } : localSlotOrWait(state.local);
    },
  };
}

function listCandidates(
  state: SchedulerState,
  job: JobInfo,
  now: number,
  reprobeAfterMs: number,
  remoteMargin: number,
  minSamples: number,
): { candidates: Candidate[]; usableHelpers: boolean; helperProbing: boolean } {
  const excluded = new Set(job.excluded ?? []);
  const model = state.model;
  const runningAt = new Map<string, number[]>();
  const busyAt = new Set<string>();
  for (const r of state.running ?? []) {
    busyAt.add(r.placeId);
    if (r.expectedEndAt !== undefined) {
      const ends = runningAt.get(r.placeId) ?? [];
      ends.push(r.expectedEndAt);
      runningAt.set(r.placeId, ends);
    }
  }

  // The places: every usable remote host (first listing wins), then this machine. localhost entries
  // are this machine; their limit widens its pool like distcc's shared lock files.
  const places: { id: string; local: boolean; limit: number; taken: ReadonlySet<number> }[] = [];
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
    if (state.backoff?.onProbation?.(h.id) && busyAt.has(h.id)) continue;
    seen.add(h.id);
    places.push({ id: h.id, local: false, limit: h.limit, taken: takenSlots(h) });
  }
  if (!excluded.has(LOCAL_ID) && localLimit > 0) {
    places.push({ id: LOCAL_ID, local: true, limit: localLimit, taken: takenSlots(state.local) });
  }

  const estimateAt = (id: string, load: number): number | undefined =>
    model?.estimate(id, job.inputBytes, now, load);

  const helperProbing = places.some((p) => !p.local && busyAt.has(p.id) && estimateAt(p.id, 1) === undefined);
  // A local compile costs at least its preprocessing plus a compile that usually costs more: when a
  // helper does the whole job in less than twice the preprocessing alone, this machine cannot win and
  // is not worth a probe (a weak client feeding strong helpers).
  const cppMs = model?.clientMs?.(now) ?? 0;
  const bestRemote = Math.min(
    ...places.filter((p) => !p.local).map((p) => estimateAt(p.id, 1) ?? Infinity),
  );
  const helperBeatsCpp = cppMs > 0 && bestRemote < 2 * cppMs;
  // Saturated here, and the helpers keep the build's pace: a local compile slows the whole build.
  const helpersKeepUp = state.localSaturated === true && helpersKeepPace(places, estimateAt, state.arrivalMs);
  const farAhead = helpersKeepUp && helpersFarAhead(places, state.helperMs, state.arrivalMs);
  const out: Candidate[] = [];
  places.forEach((p, order) => {
    const freeSlot = lowestFreeSlot(p.taken, p.limit);
    const idle = !busyAt.has(p.id) && p.taken.size === 0;
    const ahead = state.queuedFor?.[p.id] ?? 0;
    const last = model?.lastObservedAt?.(p.id);
    const alone = estimateAt(p.id, 1);
    const stale =
      alone !== undefined &&
      ((last !== undefined && now - last > reprobeAfterMs) || (model?.weight?.(p.id, now) ?? Infinity) < minSamples);
    // Probe: a helper never measured is filled like distcc would until its first result; this machine,
    // and a place not measured lately, get one job when idle. This machine is not probed while the
    // preprocessing of jobs in flight already keeps it busy, nor when a helper is known to do a whole
    // job in less than twice that preprocessing (a weak client feeding strong helpers: a local
    // compile would slow every job in flight).
    const localBusy = p.local && ((state.localLoadExtra ?? 0) >= LOCAL_PROBE_MAX_EXTRA_LOAD || helperBeatsCpp);
    // A helper measured only on jobs far smaller than this one (a kernel build's first result is the
    // 1.4 KiB `empty.c`) cannot say how long this one takes there: extrapolated, it looked like
    // minutes, and such a helper got no big job again. It is probed with this one, like a new helper.
    const unpredictable = !p.local && alone !== undefined && model?.covers?.(p.id, job.inputBytes, now) === false;
    // A saturated CPU here is not re-probed: the probe's compile would come out of the preprocessing.
    const reprobe = stale && idle && !localBusy && !(p.local && state.localSaturated === true);
    const probe = alone === undefined || unpredictable ? (p.local ? idle && !localBusy : true) : reprobe;
    if (probe && freeSlot !== undefined && ahead === 0) {
      out.push({ id: p.id, local: p.local, order, freeSlot, finish: now, probe: true });
      return;
    }
    // Time per job at this place when it gets the job now (free slot) or when full (queued).
    const scale = p.local ? 1 : remoteMargin;
    // Unknown: a host waits for its first result; this machine waits for its probe's (it was once taken
    // to be as fast as the best known place meanwhile, but that figure is a helper's time per job at
    // load 1, far below what a full helper or this machine busy preprocessing really take: jobs then
    // waited for this machine, or crowded it, while helpers had free slots).
    const atLoad = (load: number): number | undefined => {
      const e = estimateAt(p.id, load);
      return e === undefined ? undefined : e * scale;
    };
    // This machine also runs the preprocessing of the jobs in flight to helpers.
    const extra = p.local ? (state.localLoadExtra ?? 0) : 0;
    // A local compile also slows that preprocessing by about its own time alone: every job in flight
    // to a helper is delayed. Counted as a cost, so a weak client keeps feeding its helpers. The same
    // when this machine's CPU is saturated (state.localSaturated) by the preprocessing that happens
    // before placement (the agent's flow) and the helpers keep up with the build's pace: then the
    // preprocessing is what limits the build, and the compile's CPU comes out of it. Scaled by the
    // share of the time the helpers had a free slot: with a helper slower than this machine they are
    // full nearly all the time, the build waits on them, and a job done here is a gain. (The pace alone
    // would not do: fewer local compiles slow the pace down to what the helpers do, and they would
    // then seem to keep up; full helpers make jobs go here again.) Not scaled when the helpers' own
    // times say they could take 1.5 times the pace (helpersFarAhead): their slots then look full only
    // because this saturated machine is slow to send and read. When the helpers fall behind (a fast
    // client), nothing is charged either. An unsaturated machine pays nothing: CPU to spare.
    const feeding = p.local && helpersKeepUp ? 1 - (farAhead ? 0 : (state.helpersFullShare ?? 0)) : 0;
    const harm = p.local ? Math.max(extra, feeding) * (atLoad(1) ?? 0) : 0;
    if (freeSlot !== undefined && ahead === 0) {
      const e = atLoad(p.taken.size + 1 + extra);
      if (e !== undefined) out.push({ id: p.id, local: p.local, order, freeSlot, finish: now + e + harm, probe: false });
      return;
    }
    // Full (or others queue for it): the slots free as running jobs end, then each queued job ahead
    // takes one for a full-load job time.
    const full = atLoad(p.limit + extra);
    if (full === undefined) return;
    const frees = (runningAt.get(p.id) ?? []).map((end) => Math.max(now, end));
    while (frees.length < p.limit) frees.push(frees.length < p.taken.size ? now + full : now);
    frees.sort((a, b) => a - b);
    for (let k = 0; k < ahead; k++) {
      frees[0] = frees[0]! + full;
      frees.sort((a, b) => a - b);
    }
    out.push({ id: p.id, local: p.local, order, freeSlot: undefined, finish: frees[0]! + full + harm, probe: false });
  });
  return { candidates: out, usableHelpers: places.some((p) => !p.local), helperProbing };
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
function helperJobsPerMs(places: readonly HelperSlots[], msPerJob: (p: HelperSlots) => number | undefined): { jobsPerMs: number; allKnown: boolean } {
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
