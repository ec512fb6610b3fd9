import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { distccPolicy } from "./policies/distcc.js";
import { earliestFinishPolicy } from "./policies/earliest-finish.js";
import { Scheduler } from "./scheduler.js";
import { SpeedModel } from "./speed-model.js";
import { shouldDuplicate } from "./straggler.js";

// The pieces added for issue 7 (the default policy never loses to distcc's order or to a local build
// in the simulated farms): the build's pace, copies of first jobs, hosts on probation.
describe("submit intervals, copies at unmeasured places and probation", () => {
  it("the scheduler measures the mean interval between submits, and starts afresh after a pause", () => {
    const s = new Scheduler({ hosts: [{ id: "a", limit: 8 }], localSlots: 1, policy: distccPolicy() });
    expect(s.state(0).arrivalMs).toBeUndefined();
    s.submit({ inputBytes: 1 }, 0);
    expect(s.state(0).arrivalMs).toBeUndefined();
    s.submit({ inputBytes: 1 }, 100);
    expect(s.state(100).arrivalMs).toBe(100);
    s.submit({ inputBytes: 1 }, 300);
    // Decaying mean over about 8 jobs: 100 + (200 - 100) / 8.
    expect(s.state(300).arrivalMs).toBeCloseTo(112.5, 9);
    // A pause of minutes is a new build, not a slow one.
    s.submit({ inputBytes: 1 }, 300 + 120_000);
    expect(s.state(300 + 120_000).arrivalMs).toBeUndefined();
  });

  it("a job at a place never measured is copied once it has run well past a free place's time", () => {
    // No expected end: assumed to need as long again as it has run.
    expect(shouldDuplicate({ now: 1000, startedAt: 0, alternativeMs: 400, margin: 2 })).toBe(true);
    expect(shouldDuplicate({ now: 700, startedAt: 0, alternativeMs: 400, margin: 2 })).toBe(false);
    // With an expected end in the future, the remaining time counts, as before.
    expect(shouldDuplicate({ now: 1000, startedAt: 0, expectedEndAt: 1500, alternativeMs: 400, margin: 2 })).toBe(
      false,
    );
  });

  it("the first job of a helper that loses to a copy teaches a lower bound of its time", () => {
    const model = new SpeedModel();
    // This machine is known: 200 ms for 60 KB.
    for (let i = 0; i < 3; i++) model.observe({ placeId: "localhost", inputBytes: 60_000, elapsedMs: 200 }, 0);
    const s = new Scheduler({
      hosts: [{ id: "slow", limit: 1 }],
      localSlots: 1,
      policy: earliestFinishPolicy(),
      model,
    });
    const j = s.submit({ inputBytes: 60_000 }, 0);
    expect(j.lease?.placeId).toBe("slow"); // never measured: a cold start fills it
    expect(s.stragglers(300)).toEqual([]); // 300 ms < 2 x 200 ms
    const [copy] = s.stragglers(1000);
    expect(copy?.placeId).toBe("localhost");
    const done = s.finish(copy!.id, { ok: true, elapsedMs: 200 }, 1200);
    expect(done.cancelled.map((l) => l.placeId)).toEqual(["slow"]);
    // The helper ran 1200 ms without a result: at least that, learned, so it is not probed forever.
    expect(model.count("slow")).toBe(1);
    expect(model.estimate("slow", 60_000, 1200)).toBeGreaterThanOrEqual(1200);
  });

  it("a host that failed is on probation until it succeeds, even after its backoff", () => {
    const b = new Backoff({ periodMs: 1000 });
    expect(b.onProbation("a")).toBe(false);
    b.fail("a", 0);
    expect(b.onProbation("a")).toBe(true);
    expect(b.isBackedOff("a", 2000)).toBe(false);
    expect(b.onProbation("a")).toBe(true);
    b.succeed("a");
    expect(b.onProbation("a")).toBe(false);
  });

  it("a dead host back from its backoff loses one job, not a slot's worth, each time", () => {
    const s = new Scheduler({
      hosts: [{ id: "dead", limit: 4 }],
      localSlots: 1,
      policy: earliestFinishPolicy(),
      backoff: new Backoff({ periodMs: 1000 }),
    });
    const first = [0, 1, 2, 3].map(() => s.submit({ inputBytes: 1000 }, 0).lease!);
    expect(first.map((l) => l.placeId)).toEqual(["dead", "dead", "dead", "dead"]);
    for (const l of first) s.finish(l.id, { ok: false, reason: "connection refused" }, 1);
    // Its backoff over, the next jobs: one goes to it, the others wait for this machine.
    const later = [0, 1, 2].map(() => s.submit({ inputBytes: 1000 }, 2000));
    const toDead = [...later.flatMap((r) => r.granted)].filter((l) => l.placeId === "dead");
    expect(toDead).toHaveLength(1);
  });
});

describe("what the policy sees of running jobs", () => {
  it("a running job's expected end follows the place's load now, not the load when it started", () => {
    const model = new SpeedModel();
    for (let i = 0; i < 3; i++) model.observe({ placeId: "h", inputBytes: 60_000, elapsedMs: 100 }, 0);
    const s = new Scheduler({ hosts: [{ id: "h", limit: 4 }], localSlots: 0, policy: distccPolicy(), model });
    const first = s.submit({ inputBytes: 60_000 }, 0).lease!;
    expect(first.expectedEndAt).toBe(100); // alone there
    expect(s.state(0).running![0]!.expectedEndAt).toBe(100);
    s.submit({ inputBytes: 60_000 }, 10);
    s.submit({ inputBytes: 60_000 }, 10);
    // Three jobs share the place now: the first one is expected to take 300 ms in all.
    const ends = s.state(10).running!.map((r) => r.expectedEndAt);
    expect(ends[0]).toBe(300);
    expect(first.expectedEndAt).toBe(100); // the lease itself keeps its figure
  });
});
