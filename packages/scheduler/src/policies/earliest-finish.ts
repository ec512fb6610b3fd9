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
}

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
 * from what the model learned (compile speed and transfer cost per place) and what is queued there.
 * When the best place is busy, it waits for it rather than using a slower free one. A place never
 * measured (or not lately) gets one probing job while it is idle. This machine counts as a place, so
 * a helper slower than the client only gets the work it can finish sooner.
 */
export function earliestFinishPolicy(options: EarliestFinishOptions = {}): Policy {
  const reprobeAfterMs = options.reprobeAfterMs ?? 60_000;
  const remoteMargin = options.remoteMargin ?? 1;
  return {
    name: "earliest-finish",
    choose(state, job, now) {
      if (job.localOnly) return localSlotOrWait(state.local);
      const candidates = listCandidates(state, job, now, reprobeAfterMs, remoteMargin);
      const pool = job.urgent ? candidates.filter((c) => c.freeSlot !== undefined) : candidates;
      const best = pickBest(pool);
      if (!best) return candidates.length === 0 ? localSlotOrWait(state.local) : { kind: "wait" };
      if (best.freeSlot === undefined) return { kind: "wait" };
      return best.local
        ? { kind: "local", slot: best.freeSlot }
        : { kind: "remote", hostId: best.id, slot: best.freeSlot };
    },
  };
}

function listCandidates(
  state: SchedulerState,
  job: JobInfo,
  now: number,
  reprobeAfterMs: number,
  remoteMargin: number,
): Candidate[] {
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
    seen.add(h.id);
    places.push({ id: h.id, local: false, limit: h.limit, taken: takenSlots(h) });
  }
  if (!excluded.has(LOCAL_ID) && localLimit > 0) {
    places.push({ id: LOCAL_ID, local: true, limit: localLimit, taken: takenSlots(state.local) });
  }

  const estimates = places.map((p) => model?.estimate(p.id, job.inputBytes, now));
  const known = estimates.filter((e): e is number => e !== undefined);
  const bestKnown = known.length > 0 ? Math.min(...known) : undefined;

  const out: Candidate[] = [];
  places.forEach((p, order) => {
    const freeSlot = lowestFreeSlot(p.taken, p.limit);
    const idle = !busyAt.has(p.id) && p.taken.size === 0;
    let estimate = estimates[order];
    const last = model?.lastObservedAt?.(p.id);
    const stale = estimate !== undefined && last !== undefined && now - last > reprobeAfterMs;
    if ((estimate === undefined || stale) && idle && freeSlot !== undefined) {
      // Probe: worth one job to learn (or re-learn) this place.
      out.push({ id: p.id, local: p.local, order, freeSlot, finish: now, probe: true });
      return;
    }
    if (estimate === undefined) {
      // Unknown and already probing: a host waits for its first result; this machine is taken to be as
      // fast as the best known place, so the build never stalls behind a probe.
      if (!p.local || bestKnown === undefined) return;
      estimate = bestKnown;
    }
    if (!p.local) estimate *= remoteMargin;
    let start = now;
    if (freeSlot === undefined) {
      const ends = runningAt.get(p.id) ?? [];
      const soonest = ends.length > 0 ? Math.min(...ends) : now + estimate;
      start = Math.max(now, soonest);
    }
    out.push({ id: p.id, local: p.local, order, freeSlot, finish: start + estimate, probe: false });
  });
  return out;
}

/** Probes first, then earliest finish; ties go to a free place, then this machine, then list order. */
function pickBest(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!best || better(c, best)) best = c;
  }
  return best;
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.probe !== b.probe) return a.probe;
  if (a.finish !== b.finish) return a.finish < b.finish;
  const aFree = a.freeSlot !== undefined;
  const bFree = b.freeSlot !== undefined;
  if (aFree !== bFree) return aFree;
  if (a.local !== b.local) return a.local;
  return a.order < b.order;
}
