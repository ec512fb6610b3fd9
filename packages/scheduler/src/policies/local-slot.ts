import { lowestFreeSlot, takenSlots } from "../slots.js";
import type { LocalPool, Placement } from "../types.js";

/** A slot of this machine's pool, or wait. */
export function localSlotOrWait(pool: LocalPool): Placement {
  const slot = lowestFreeSlot(takenSlots(pool), pool.limit);
  return slot === undefined ? { kind: "wait" } : { kind: "local", slot };
}
