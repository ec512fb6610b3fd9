import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { distccPolicy } from "./policies/distcc.js";
import { earliestFinishPolicy } from "./policies/earliest-finish.js";
import { randomizedPolicy } from "./policies/randomized.js";
import { type HostEntry, type Lease, Scheduler } from "./scheduler.js";
import { mulberry32 } from "./sim/prng.js";
import { SpeedModel } from "./speed-model.js";
import { LOCAL_ID, type Policy } from "./types.js";

type Op =
  | { kind: "submit"; bytes: number; localOnly: boolean }
  | { kind: "finish"; pick: number; ok: boolean; elapsed: number }
  | { kind: "cancel"; pick: number }
  | { kind: "advance"; ms: number }
  | { kind: "stragglers" }
  | { kind: "poll" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("submit" as const),
      bytes: fc.integer({ min: 0, max: 4_000_000 }),
      localOnly: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("finish" as const),
      pick: fc.nat(),
      ok: fc.boolean(),
      elapsed: fc.integer({ min: 1, max: 5000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("stragglers" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("poll" as const) }) },
);

const hostsArb: fc.Arbitrary<HostEntry[]> = fc
  .array(
    fc.record(
      { limit: fc.integer({ min: 1, max: 4 }), down: fc.boolean(), local: fc.boolean() },
      { requiredKeys: ["limit"] },
    ),
    { minLength: 0, maxLength: 4 },
  )
  .map((hs) =>
    hs.map((h, i) =>
      h.local
        ? { id: LOCAL_ID, limit: h.limit, local: true }
        : { id: `h${i}`, limit: h.limit, ...(h.down ? { down: true } : {}) },
    ),
  );

const policyArb = fc.constantFrom("distcc", "randomize", "earliest-finish");
function makePolicy(name: string): Policy {
  if (name === "distcc") return distccPolicy();
  if (name === "randomize") return randomizedPolicy(mulberry32(9));
  return earliestFinishPolicy();
}

interface Run {
  scheduler: Scheduler;
  live: Map<number, Lease>;
  now: number;
  /** Every lease ever granted, in order. */
  history: { lease: Lease; at: number }[];
  /** host -> time of its last failure. */
  failedAt: Map<string, number>;
  /** job -> hosts that failed it. */
  failedFor: Map<number, Set<string>>;
  submitted: Set<number>;
  ended: Set<number>;
}

/** Applies the ops, checking the invariants after each one. */
function play(hosts: HostEntry[], localSlots: number, policy: string, backoffMs: number, ops: Op[]): Run {
  const scheduler = new Scheduler({
    hosts,
    localSlots,
    policy: makePolicy(policy),
    backoff: new Backoff({ periodMs: backoffMs }),
    model: new SpeedModel(),
  });
  const run: Run = {
    scheduler,
    live: new Map(),
    now: 0,
    history: [],
    failedAt: new Map(),
    failedFor: new Map(),
    submitted: new Set(),
    ended: new Set(),
  };
  const take = (leases: readonly Lease[]): void => {
    for (const l of leases) {
      // Backoff respected: no new lease on a host inside its backoff period.
      const failed = run.failedAt.get(l.placeId);
      if (backoffMs > 0 && failed !== undefined && l.placement.kind === "remote") {
        expect(run.now - failed).toBeGreaterThanOrEqual(backoffMs);
      }
      // A host that failed this job is never given to it again (even with backoff disabled).
      expect(run.failedFor.get(l.jobId)?.has(l.placeId) ?? false).toBe(false);
      run.live.set(l.id, l);
      run.history.push({ lease: l, at: run.now });
    }
  };
  const drop = (leases: readonly Lease[]): void => {
    for (const l of leases) run.live.delete(l.id);
  };
  for (const op of ops) {
    switch (op.kind) {
      case "submit": {
        const r = scheduler.submit({ inputBytes: op.bytes, ...(op.localOnly ? { localOnly: true } : {}) }, run.now);
        run.submitted.add(r.jobId);
        take(r.granted);
        for (const j of r.failed) run.ended.add(j);
        break;
      }
      case "finish": {
        const leases = [...run.live.values()];
        if (leases.length === 0) break;
        const lease = leases[op.pick % leases.length]!;
        run.live.delete(lease.id);
        if (!op.ok && lease.placement.kind === "remote") {
          run.failedAt.set(lease.placeId, run.now);
          const set = run.failedFor.get(lease.jobId) ?? new Set();
          set.add(lease.placeId);
          run.failedFor.set(lease.jobId, set);
        }
        // A success on a host ends its backoff at once (distcc deletes the backoff file).
        if (op.ok) run.failedAt.delete(lease.placeId);
        const u = scheduler.finish(lease.id, op.ok ? { ok: true, elapsedMs: op.elapsed } : { ok: false }, run.now);
        if (op.ok || lease.placement.kind === "local") run.ended.add(lease.jobId);
        drop(u.cancelled);
        take(u.granted);
        for (const j of u.failed) run.ended.add(j);
        break;
      }
      case "cancel": {
        const jobs = [...run.submitted].filter((j) => !run.ended.has(j));
        if (jobs.length === 0) break;
        const job = jobs[op.pick % jobs.length]!;
        const u = scheduler.cancel(job, run.now);
        run.ended.add(job);
        drop(u.cancelled);
        take(u.granted);
        for (const j of u.failed) run.ended.add(j);
        break;
      }
      case "advance":
        run.now += op.ms;
        break;
      case "stragglers":
        take(scheduler.stragglers(run.now));
        break;
      case "poll": {
        const u = scheduler.poll(run.now);
        take(u.granted);
        for (const j of u.failed) run.ended.add(j);
        break;
      }
    }
    checkLimits(run, hosts, localSlots);
  }
  return run;
}

function checkLimits(run: Run, hosts: HostEntry[], localSlots: number): void {
  const limitOf = (id: string): number => {
    if (id === LOCAL_ID) return Math.max(localSlots, ...hosts.filter((h) => h.local).map((h) => h.limit));
    return Math.max(0, ...hosts.filter((h) => h.id === id).map((h) => h.limit));
  };
  const byPlace = new Map<string, Set<number>>();
  for (const l of run.live.values()) {
    const slots = byPlace.get(l.placeId) ?? new Set();
    expect(slots.has(l.placement.slot)).toBe(false); // never two holders of one slot
    slots.add(l.placement.slot);
    byPlace.set(l.placeId, slots);
    expect(l.placement.slot).toBeLessThan(limitOf(l.placeId));
  }
  for (const [id, slots] of byPlace) expect(slots.size).toBeLessThanOrEqual(limitOf(id));
  expect(run.scheduler.leases().length).toBe(run.live.size);
}

describe("Scheduler properties (fast-check)", () => {
  it("limits are never exceeded, a slot never has two holders, backoff is respected, a failed host is never retried for the same job", () => {
    fc.assert(
      fc.property(
        hostsArb,
        fc.integer({ min: 0, max: 3 }),
        policyArb,
        fc.constantFrom(0, 1000, 60_000),
        fc.array(opArb, { maxLength: 120 }),
        (hosts, localSlots, policy, backoffMs, ops) => {
          play(hosts, localSlots, policy, backoffMs, ops);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("no starvation: when running jobs keep finishing, every submitted job is placed", () => {
    fc.assert(
      fc.property(
        hostsArb,
        fc.integer({ min: 1, max: 3 }),
        policyArb,
        fc.constantFrom(0, 1000),
        fc.array(opArb, { maxLength: 80 }),
        (hosts, localSlots, policy, backoffMs, ops) => {
          const run = play(hosts, localSlots, policy, backoffMs, ops);
          // Drain: finish the oldest lease (ok) until nothing runs; time moves so backoffs end.
          for (let guard = 0; guard < 10_000 && (run.live.size > 0 || run.scheduler.waiting > 0); guard++) {
            run.now += 500;
            const oldest = [...run.live.values()].sort((a, b) => a.id - b.id)[0];
            if (!oldest) {
              for (const l of run.scheduler.poll(run.now).granted) run.live.set(l.id, l);
              continue;
            }
            run.live.delete(oldest.id);
            const u = run.scheduler.finish(oldest.id, { ok: true, elapsedMs: 100 }, run.now);
            for (const l of u.cancelled) run.live.delete(l.id);
            for (const l of u.granted) run.live.set(l.id, l);
            checkLimits(run, hosts, localSlots);
          }
          expect(run.scheduler.waiting).toBe(0);
          expect(run.live.size).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("with one place, waiting jobs are served in FIFO order", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 20 }), policyArb, (limit, jobs, policy) => {
        const s = new Scheduler({ hosts: [], localSlots: limit, policy: makePolicy(policy) });
        const order: number[] = [];
        const live: Lease[] = [];
        for (let i = 0; i < jobs; i++) {
          const r = s.submit({ inputBytes: 1000 }, i);
          for (const l of r.granted) {
            order.push(l.jobId);
            live.push(l);
          }
        }
        let now = jobs;
        while (live.length > 0) {
          const l = live.shift()!;
          const u = s.finish(l.id, { ok: true }, ++now);
          for (const g of u.granted) {
            order.push(g.jobId);
            live.push(g);
          }
        }
        expect(order).toEqual([...order].sort((a, b) => a - b));
        expect(order).toHaveLength(jobs);
      }),
      { numRuns: 100 },
    );
  });

  it("a dead host is never chosen again after it failed (backoff on), nor twice for one job (backoff off)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        policyArb,
        fc.constantFrom(0, 60_000),
        fc.integer({ min: 1, max: 30 }),
        (deadLimit, liveLimit, policy, backoffMs, jobs) => {
          const hosts = [
            { id: "dead", limit: deadLimit },
            { id: "alive", limit: liveLimit },
          ];
          const s = new Scheduler({
            hosts,
            localSlots: 1,
            policy: makePolicy(policy),
            backoff: new Backoff({ periodMs: backoffMs }),
          });
          let now = 0;
          let deadFailed = false;
          const failedJobs = new Set<number>();
          const pending: Lease[] = [];
          // Every grant made after the dead host failed is checked, in the order it was made.
          const granted = (leases: readonly Lease[]): void => {
            for (const l of leases) {
              if (l.placeId === "dead") {
                if (backoffMs > 0) expect(deadFailed).toBe(false);
                expect(failedJobs.has(l.jobId)).toBe(false);
              }
              pending.push(l);
            }
          };
          for (let i = 0; i < jobs; i++) granted(s.submit({ inputBytes: 5000 }, now).granted);
          let attempts = 0;
          while (pending.length > 0) {
            const lease = pending.shift()!;
            now += 10;
            attempts++;
            if (lease.placeId === "dead") {
              deadFailed = true;
              failedJobs.add(lease.jobId);
              granted(s.finish(lease.id, { ok: false, reason: "refused" }, now).granted);
            } else {
              granted(s.finish(lease.id, { ok: true, elapsedMs: 50 }, now).granted);
            }
          }
          expect(s.waiting).toBe(0);
          // Retries are capped: never distcc's endless loop.
          expect(attempts).toBeLessThanOrEqual(jobs * 2);
        },
      ),
      { numRuns: 200 },
    );
  });
});
