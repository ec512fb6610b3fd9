import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SchedulerError } from "./errors.js";
import { SlotTable } from "./slot-table.js";

describe("SlotTable", () => {
  it("gives the lowest free index, or the one asked for", () => {
    const t = new SlotTable([["a", 3]]);
    expect(t.acquire("a")).toBe(0);
    expect(t.acquire("a", 2)).toBe(2);
    expect(t.acquire("a", 2)).toBeUndefined();
    expect(t.acquire("a")).toBe(1);
    expect(t.acquire("a")).toBeUndefined();
    t.release("a", 0);
    expect(t.busySlots("a")).toEqual([1, 2]);
    expect(t.acquire("a")).toBe(0);
  });

  it("a lowered limit drains: held slots stay, none is given above the limit", () => {
    const t = new SlotTable([["a", 3]]);
    t.acquire("a");
    t.acquire("a");
    t.acquire("a");
    t.setLimit("a", 1);
    t.release("a", 0);
    expect(t.acquire("a")).toBeUndefined(); // 2 still held, limit 1
    t.release("a", 1);
    t.release("a", 2);
    expect(t.acquire("a")).toBe(0);
  });

  it("errors have stable codes", () => {
    const t = new SlotTable([["a", 1]]);
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as SchedulerError).code;
      }
      return undefined;
    };
    expect(code(() => t.release("a", 0))).toBe("DISTCC_SCHED_ERR_SLOT_NOT_HELD");
    expect(code(() => t.acquire("nope"))).toBe("DISTCC_SCHED_ERR_UNKNOWN_PLACE");
    expect(code(() => t.setLimit("a", -1))).toBe("DISTCC_SCHED_ERR_BAD_LIMIT");
    expect(code(() => t.setLimit("a", 1.5))).toBe("DISTCC_SCHED_ERR_BAD_LIMIT");
  });

  it("never exceeds a limit, whatever the sequence (fast-check)", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("acquire" as const),
        slot: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
      }),
      fc.record({ kind: fc.constant("release" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("limit" as const), limit: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 100 }), (initial, ops) => {
        const t = new SlotTable([["p", initial]]);
        let limit = initial;
        for (const o of ops) {
          const before = t.inUse("p");
          if (o.kind === "acquire") {
            const got = t.acquire("p", o.slot);
            if (got !== undefined) {
              expect(before).toBeLessThan(limit);
              expect(got).toBeLessThan(limit);
            }
          } else if (o.kind === "release") {
            const held = t.busySlots("p");
            if (held.length > 0) t.release("p", held[o.pick % held.length]!);
          } else {
            limit = o.limit;
            t.setLimit("p", limit);
          }
          expect(new Set(t.busySlots("p")).size).toBe(t.inUse("p"));
        }
      }),
      { numRuns: 300 },
    );
  });
});
