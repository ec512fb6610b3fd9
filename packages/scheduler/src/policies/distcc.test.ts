import { describe, expect, it } from "vitest";
import { Backoff } from "../backoff.js";
import type { HostState, Placement, SchedulerState } from "../types.js";
import { distccPolicy } from "./distcc.js";
import { randomizedPolicy } from "./randomized.js";

/** Runs the policy repeatedly, taking each chosen slot, and lists the order as "a0 b0 ...". */
function order(hosts: HostState[], opts: { localLimit?: number; backoff?: Backoff; now?: number } = {}): string[] {
  const busy = new Map<string, number[]>(hosts.map((h) => [h.id, [...(h.busySlots ?? [])]]));
  const localBusy: number[] = [];
  const picks: string[] = [];
  const policy = distccPolicy();
  for (let n = 0; n < 50; n++) {
    const state: SchedulerState = {
      hosts: hosts.map((h) => ({ ...h, inUse: busy.get(h.id)!.length, busySlots: busy.get(h.id)! })),
      local: { limit: opts.localLimit ?? 4, inUse: localBusy.length, busySlots: localBusy },
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
    };
    const p: Placement = policy.choose(state, { inputBytes: 1000 }, opts.now ?? 0);
    if (p.kind === "wait") break;
    if (p.kind === "local") {
      localBusy.push(p.slot);
      picks.push(`L${p.slot}`);
    } else {
      busy.get(p.hostId)!.push(p.slot);
      picks.push(`${p.hostId}${p.slot}`);
    }
  }
  return picks;
}

const host = (id: string, limit: number, extra: Partial<HostState> = {}): HostState => ({
  id,
  limit,
  inUse: 0,
  ...extra,
});

describe("distccPolicy: distcc 3.4's order (spec 9.6)", () => {
  const table: { name: string; hosts: HostState[]; expected: string[]; localLimit?: number }[] = [
    { name: "a/2 b/2 is breadth-first", hosts: [host("a", 2), host("b", 2)], expected: ["a0", "b0", "a1", "b1"] },
    { name: "a/1 b/3", hosts: [host("a", 1), host("b", 3)], expected: ["a0", "b0", "b1", "b2"] },
    {
      name: "a/3 b/1 c/2",
      hosts: [host("a", 3), host("b", 1), host("c", 2)],
      expected: ["a0", "b0", "c0", "a1", "c1", "a2"],
    },
    {
      name: ",down hosts are always busy",
      hosts: [host("a", 2, { down: true }), host("b", 2)],
      expected: ["b0", "b1"],
    },
    // distcc 3.4 would sleep and rescan forever here; we run locally instead (never hang).
    {
      name: "only down hosts: local pool",
      hosts: [host("a", 2, { down: true })],
      expected: ["L0", "L1"],
      localLimit: 2,
    },
    {
      name: "localhost entry takes the shared local slots",
      hosts: [host("localhost", 2, { local: true }), host("b", 2)],
      expected: ["L0", "b0", "L1", "b1"],
    },
    {
      name: "a held slot is skipped, not the host",
      hosts: [host("a", 2, { busySlots: [0] }), host("b", 2)],
      expected: ["b0", "a1", "b1"],
    },
    { name: "no hosts: local pool", hosts: [], expected: ["L0", "L1"], localLimit: 2 },
  ];
  for (const row of table) {
    it(row.name, () => {
      expect(order(row.hosts, { localLimit: row.localLimit ?? 4 })).toEqual(row.expected);
    });
  }

  it("drops backed-off hosts, and they come back after the period", () => {
    const backoff = new Backoff({ periodMs: 60_000 });
    backoff.fail("a", 1000);
    expect(order([host("a", 2), host("b", 2)], { backoff, now: 2000 })).toEqual(["b0", "b1"]);
    expect(order([host("a", 2), host("b", 2)], { backoff, now: 61_000 })).toEqual(["a0", "b0", "a1", "b1"]);
  });

  it("all hosts backed off: runs locally", () => {
    const backoff = new Backoff();
    backoff.fail("a", 0);
    expect(order([host("a", 2)], { backoff, now: 1, localLimit: 1 })).toEqual(["L0"]);
  });

  it("excluded hosts (failed this job) are never chosen for it", () => {
    const state: SchedulerState = { hosts: [host("a", 2), host("b", 2)], local: { limit: 1, inUse: 0 } };
    expect(distccPolicy().choose(state, { inputBytes: 1, excluded: ["a"] }, 0)).toEqual({
      kind: "remote",
      hostId: "b",
      slot: 0,
    });
    expect(distccPolicy().choose(state, { inputBytes: 1, excluded: ["a", "b"] }, 0)).toEqual({
      kind: "local",
      slot: 0,
    });
  });

  it("localOnly jobs use the local pool", () => {
    const state: SchedulerState = { hosts: [host("a", 2)], local: { limit: 1, inUse: 1 } };
    expect(distccPolicy().choose(state, { inputBytes: 1, localOnly: true }, 0)).toEqual({ kind: "wait" });
  });
});

describe("randomizedPolicy", () => {
  it("shuffles the list per job but keeps distcc's slot-major scan", () => {
    const hosts = [host("a", 1), host("b", 1), host("c", 1)];
    const state: SchedulerState = { hosts, local: { limit: 1, inUse: 0 } };
    // A sequence that makes Fisher-Yates produce c, a, b (j = 1 then j = 0).
    const values = [0.5, 0.1];
    const policy = randomizedPolicy(() => values.shift() ?? 0);
    expect(policy.choose(state, { inputBytes: 1 }, 0)).toEqual({ kind: "remote", hostId: "c", slot: 0 });
  });

  it("reaches every host over many jobs", () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const policy = randomizedPolicy(random);
    const state: SchedulerState = { hosts: [host("a", 1), host("b", 1), host("c", 1)], local: { limit: 1, inUse: 0 } };
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const p = policy.choose(state, { inputBytes: 1 }, 0);
      if (p.kind === "remote") seen.add(p.hostId);
    }
    expect([...seen].sort()).toEqual(["a", "b", "c"]);
  });
});
