import type { HostState, LocalPool } from "./types.js";

/** The taken slot indices of a host or pool (`busySlots`, or `0 .. inUse-1` when only a count is known). */
export function takenSlots(place: HostState | LocalPool): ReadonlySet<number> {
  if (place.busySlots) return new Set(place.busySlots);
  const taken = new Set<number>();
  for (let i = 0; i < place.inUse; i++) taken.add(i);
  return taken;
}

/** Lowest free slot index below `limit`, or undefined when all are taken. */
export function lowestFreeSlot(taken: ReadonlySet<number>, limit: number): number | undefined {
  for (let i = 0; i < limit; i++) if (!taken.has(i)) return i;
  return undefined;
}
