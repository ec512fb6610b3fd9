import { SchedulerError } from "./errors.js";

/**
 * Slots per place (host or this machine), by index like distcc's `cpu_<host>_<i>` lock files.
 * A pure data structure: the caller acquires and releases; a limit is never exceeded, even when it is
 * lowered while slots are held (the held ones drain, no new one is given above the limit).
 */
export class SlotTable {
  readonly #limits = new Map<string, number>();
  readonly #held = new Map<string, Set<number>>();

  constructor(limits: Iterable<readonly [id: string, limit: number]> = []) {
    for (const [id, limit] of limits) this.setLimit(id, limit);
  }

  /** Adds a place or changes its limit (a hosts list reload). */
  setLimit(id: string, limit: number): void {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new SchedulerError(
        "DISTCC_SCHED_ERR_BAD_LIMIT",
        `slot limit of ${id} must be an integer >= 0, got ${limit}`,
      );
    }
    this.#limits.set(id, limit);
    if (!this.#held.has(id)) this.#held.set(id, new Set());
  }

  has(id: string): boolean {
    return this.#limits.has(id);
  }

  ids(): string[] {
    return [...this.#limits.keys()];
  }

  limit(id: string): number {
    return this.#limits.get(id) ?? this.#unknown(id);
  }

  inUse(id: string): number {
    return this.#heldOf(id).size;
  }

  /** Taken slot indices, ascending. */
  busySlots(id: string): number[] {
    return [...this.#heldOf(id)].sort((a, b) => a - b);
  }

  isFree(id: string, slot: number): boolean {
    return slot >= 0 && slot < this.limit(id) && !this.#heldOf(id).has(slot) && this.inUse(id) < this.limit(id);
  }

  /** Takes `slot` (or the lowest free one); undefined when none is free. */
  acquire(id: string, slot?: number): number | undefined {
    const held = this.#heldOf(id);
    const limit = this.limit(id);
    if (held.size >= limit) return undefined;
    if (slot !== undefined) {
      if (!this.isFree(id, slot)) return undefined;
      held.add(slot);
      return slot;
    }
    for (let i = 0; i < limit; i++) {
      if (!held.has(i)) {
        held.add(i);
        return i;
      }
    }
    return undefined;
  }

  release(id: string, slot: number): void {
    const held = this.#heldOf(id);
    if (!held.delete(slot)) {
      throw new SchedulerError("DISTCC_SCHED_ERR_SLOT_NOT_HELD", `slot ${slot} of ${id} is not held`);
    }
  }

  #heldOf(id: string): Set<number> {
    return this.#held.get(id) ?? this.#unknown(id);
  }

  #unknown(id: string): never {
    throw new SchedulerError("DISTCC_SCHED_ERR_UNKNOWN_PLACE", `no place named ${id} in the slot table`);
  }
}
