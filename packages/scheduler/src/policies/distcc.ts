import { lowestFreeSlot, takenSlots } from "../slots.js";
import type { HostState, JobInfo, Placement, Policy, SchedulerState } from "../types.js";
import { localSlotOrWait } from "./local-slot.js";

/**
 * distcc 3.4's choice (`src/where.c`, spec 9.6): drop backed-off hosts, then for slot index i = 0, 1, ...
 * and, inside, each host in list order with limit > i, take slot i if it is free. `,down` hosts are
 * always busy. A `localhost` entry takes the shared local slot i. No host left (or only `,down` ones,
 * where distcc would wait forever) -> run locally. Nothing free -> wait (distcc sleeps and rescans).
 */
export function distccPolicy(): Policy {
  return {
    name: "distcc",
    choose: (state, job, now) => chooseInListOrder(state.hosts, state, job, now),
  };
}

/** distcc's scan over `hosts` (already in the order to scan). Shared with the randomized policy. */
export function chooseInListOrder(
  hosts: readonly HostState[],
  state: SchedulerState,
  job: JobInfo,
  now: number,
): Placement {
  if (job.localOnly) return localSlotOrWait(state.local);
  const excluded = new Set(job.excluded ?? []);
  const eligible = hosts.filter((h) => !excluded.has(h.id) && !state.backoff?.isBackedOff(h.id, now));
  // Deliberate difference: when every host left is `,down`, distcc would sleep and rescan forever;
  // we treat it like an empty list (run locally), so a job can never hang.
  if (eligible.every((h) => h.down)) return localSlotOrWait(state.local);

  const localTaken = takenSlots(state.local);
  const taken = eligible.map((h) => (h.local ? localTaken : takenSlots(h)));
  const widest = Math.max(...eligible.map((h) => h.limit));
  for (let i = 0; i < widest; i++) {
    for (let k = 0; k < eligible.length; k++) {
      const host = eligible[k]!;
      if (host.down || host.limit <= i || taken[k]!.has(i)) continue;
      if (host.local) return { kind: "local", slot: i };
      // A host may be listed twice (distcc then uses the same lock files): honour its own count too.
      if (lowestFreeSlot(taken[k]!, host.limit) === undefined) continue;
      return { kind: "remote", hostId: host.id, slot: i };
    }
  }
  return { kind: "wait" };
}
