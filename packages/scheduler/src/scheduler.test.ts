import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { distccPolicy } from "./policies/distcc.js";
import { Scheduler } from "./scheduler.js";
import { SpeedModel } from "./speed-model.js";

describe("Scheduler", () => {
  it("grants in distcc order and hands freed slots to the oldest waiter", () => {
    const s = new Scheduler({
      hosts: [
        { id: "a", limit: 1 },
        { id: "b", limit: 1 },
      ],
      localSlots: 1,
      policy: distccPolicy(),
    });
    const j1 = s.submit({ inputBytes: 10 }, 0);
    const j2 = s.submit({ inputBytes: 10 }, 0);
    const j3 = s.submit({ inputBytes: 10 }, 0);
    const j4 = s.submit({ inputBytes: 10 }, 0);
    expect(j1.lease?.placement).toEqual({ kind: "remote", hostId: "a", slot: 0 });
    expect(j2.lease?.placement).toEqual({ kind: "remote", hostId: "b", slot: 0 });
    expect(j3.lease).toBeUndefined();
    expect(j4.lease).toBeUndefined();
    const u = s.finish(j2.lease!.id, { ok: true }, 5);
    expect(u.granted.map((l) => l.jobId)).toEqual([j3.jobId]);
    expect(u.granted[0]!.placement).toEqual({ kind: "remote", hostId: "b", slot: 0 });
    expect(s.waiting).toBe(1);
  });

  it("a job of unknown size (a link) is counted but not learned from", () => {
    const model = new SpeedModel();
    const s = new Scheduler({ hosts: [{ id: "a", limit: 1 }], localSlots: 1, policy: distccPolicy(), model });
    const link = s.submit({ inputBytes: 0, localOnly: true }, 0);
    s.finish(link.lease!.id, { ok: true }, 5000);
    expect(model.count("localhost")).toBe(0);
    expect(s.stats().places.localhost?.compiled).toBe(1);
    const compile = s.submit({ inputBytes: 1000, localOnly: true }, 5000);
    s.finish(compile.lease!.id, { ok: true }, 5100);
    expect(model.count("localhost")).toBe(1);
  });

  it("a failed host is backed off and the job is placed elsewhere", () => {
    const s = new Scheduler({
      hosts: [
        { id: "a", limit: 2 },
        { id: "b", limit: 2 },
      ],
      localSlots: 1,
      policy: distccPolicy(),
      backoff: new Backoff({ periodMs: 1000 }),
    });
    const j = s.submit({ inputBytes: 10 }, 0);
    expect(j.lease?.placeId).toBe("a");
    const u = s.finish(j.lease!.id, { ok: false, reason: "connect refused" }, 1);
    expect(u.granted).toHaveLength(1);
    expect(u.granted[0]!.placeId).toBe("b");
    expect(s.submit({ inputBytes: 1 }, 2).lease?.placeId).toBe("b");
    expect(s.submit({ inputBytes: 1 }, 1001).lease?.placeId).toBe("a");
  });

  it("says when a backoff ends while jobs wait, so the caller can arm one timer", () => {
    const s = new Scheduler({
      hosts: [{ id: "a", limit: 1 }],
      localSlots: 0,
      policy: distccPolicy(),
      backoff: new Backoff({ periodMs: 1000 }),
    });
    const j1 = s.submit({ inputBytes: 1 }, 0);
    expect(s.nextPollAt(0)).toBeUndefined();
    const j2 = s.submit({ inputBytes: 1 }, 0);
    const u1 = s.finish(j1.lease!.id, { ok: false }, 10);
    // j1 failed on the only host and there is no local slot: nothing can ever take it.
    expect(u1.failed).toEqual([j1.jobId]);
    // j2 waits for the backoff of a to end.
    expect(s.waiting).toBe(1);
    expect(s.nextPollAt(20)).toBe(1010);
    const u = s.poll(1010);
    expect(u.granted.map((l) => [l.jobId, l.placeId])).toEqual([[j2.jobId, "a"]]);
  });

  it("with backoff disabled, a job's retries are capped and end locally", () => {
    const s = new Scheduler({
      hosts: [{ id: "a", limit: 1 }],
      localSlots: 1,
      policy: distccPolicy(),
      backoff: new Backoff({ periodMs: 0 }),
    });
    const j = s.submit({ inputBytes: 10 }, 0);
    const u = s.finish(j.lease!.id, { ok: false }, 1);
    expect(u.granted[0]!.placement).toEqual({ kind: "local", slot: 0 });
  });

  it("cancel frees the slots of a job whose client died", () => {
    const s = new Scheduler({ hosts: [{ id: "a", limit: 1 }], localSlots: 0, policy: distccPolicy() });
    const j1 = s.submit({ inputBytes: 10 }, 0);
    const j2 = s.submit({ inputBytes: 10 }, 0);
    expect(j2.lease).toBeUndefined();
    const u = s.cancel(j1.jobId, 1);
    expect(u.cancelled.map((l) => l.id)).toEqual([j1.lease!.id]);
    expect(u.granted.map((l) => l.jobId)).toEqual([j2.jobId]);
  });

  it("learns and stops sending work to a helper slower than this machine", () => {
    const model = new SpeedModel();
    const s = new Scheduler({ hosts: [{ id: "slow", limit: 4 }], localSlots: 1, model });
    model.observe({ placeId: "slow", inputBytes: 100_000, elapsedMs: 1000 }, 0);
    model.observe({ placeId: "localhost", inputBytes: 100_000, elapsedMs: 200 }, 0);
    const a = s.submit({ inputBytes: 100_000 }, 1);
    expect(a.lease?.placeId).toBe("localhost");
    // Local is busy until ~201; the helper would finish at ~1001: wait for local.
    const b = s.submit({ inputBytes: 100_000 }, 1);
    expect(b.lease).toBeUndefined();
    const u = s.finish(a.lease!.id, { ok: true, elapsedMs: 200 }, 201);
    expect(u.granted.map((l) => [l.jobId, l.placeId])).toEqual([[b.jobId, "localhost"]]);
  });

  it("learns a helper's own time apart from what the job cost this machine (clientMs)", () => {
    const model = new SpeedModel();
    const s = new Scheduler({ hosts: [{ id: "h", limit: 2 }], localSlots: 1, model, policy: distccPolicy() });
    const j = s.submit({ inputBytes: 100_000 }, 0);
    s.finish(j.lease!.id, { ok: true, elapsedMs: 500, clientMs: 300 }, 500);
    expect(model.clientMs(500)).toBe(300);
    expect(model.clientShare(500)).toBeCloseTo(0.6, 9);
    // The helper's part (200 ms) plus the mean client part (300 ms).
    expect(model.estimate("h", 100_000, 500)).toBeCloseTo(500, 9);
    // A remote job in flight now loads this machine by its client share.
    const k = s.submit({ inputBytes: 100_000 }, 600);
    expect(k.lease?.placeId).toBe("h");
    expect(s.state(600).localLoadExtra).toBeCloseTo(0.6, 9);
  });

  it("snapshot() gives the figures of a live view", () => {
    const model = new SpeedModel();
    model.observe({ placeId: "h", inputBytes: 100 * 1024, elapsedMs: 80 }, 0);
    const s = new Scheduler({
      hosts: [
        { id: "h", limit: 2 },
        { id: "d", limit: 1, down: true },
      ],
      localSlots: 1,
      model,
      policy: distccPolicy(),
    });
    s.submit({ inputBytes: 1 }, 0);
    s.submit({ inputBytes: 1 }, 0);
    s.submit({ inputBytes: 1 }, 0);
    s.submit({ inputBytes: 1 }, 0);
    const snap = s.snapshot(0);
    // distcc's order: h0, h1, then wait (the local pool is only the fallback when no host is left).
    expect(snap.waiting).toBe(2);
    expect(snap.running).toBe(2);
    expect(snap.places.find((p) => p.id === "h")).toMatchObject({
      limit: 2,
      inUse: 2,
      local: false,
      observations: 1,
      estimate100k: 80,
    });
    expect(snap.places.find((p) => p.id === "d")).toMatchObject({ down: true, inUse: 0 });
    expect(snap.places.find((p) => p.id === "localhost")).toMatchObject({ local: true, limit: 1, inUse: 0 });
  });

  it("a hosts list reload keeps held slots and drains a lowered limit", () => {
    const s = new Scheduler({ hosts: [{ id: "a", limit: 2 }], localSlots: 1, policy: distccPolicy() });
    const j1 = s.submit({ inputBytes: 1 }, 0);
    const j2 = s.submit({ inputBytes: 1 }, 0);
    s.setHosts([
      { id: "a", limit: 1 },
      { id: "b", limit: 1 },
    ]);
    const j3 = s.submit({ inputBytes: 1 }, 1);
    expect(j3.lease?.placeId).toBe("b");
    const j4 = s.submit({ inputBytes: 1 }, 1);
    expect(j4.lease).toBeUndefined();
    // a has 2 held, limit 1: the first release frees nothing usable yet.
    expect(s.finish(j1.lease!.id, { ok: true }, 2).granted).toEqual([]);
    expect(s.finish(j2.lease!.id, { ok: true }, 3).granted.map((l) => [l.jobId, l.placeId])).toEqual([[j4.jobId, "a"]]);
  });

  it("a straggler copy wins and the original is cancelled", () => {
    const model = new SpeedModel();
    model.observe({ placeId: "slow", inputBytes: 1000, elapsedMs: 10_000 }, 0);
    model.observe({ placeId: "localhost", inputBytes: 1000, elapsedMs: 100 }, 0);
    const s = new Scheduler({ hosts: [{ id: "slow", limit: 1 }], localSlots: 1, model, policy: distccPolicy() });
    const j = s.submit({ inputBytes: 1000 }, 0);
    expect(j.lease?.placeId).toBe("slow");
    const copies = s.stragglers(10);
    expect(copies.map((c) => c.placeId)).toEqual(["localhost"]);
    const u = s.finish(copies[0]!.id, { ok: true }, 110);
    expect(u.cancelled.map((l) => l.id)).toEqual([j.lease!.id]);
    expect(s.leases()).toEqual([]);
  });

  it("a job whose copy cannot run here gets no copy here", () => {
    const model = new SpeedModel();
    model.observe({ placeId: "slow", inputBytes: 1000, elapsedMs: 10_000 }, 0);
    model.observe({ placeId: "localhost", inputBytes: 1000, elapsedMs: 100 }, 0);
    const s = new Scheduler({ hosts: [{ id: "slow", limit: 1 }], localSlots: 1, model, policy: distccPolicy() });
    const j = s.submit({ inputBytes: 1000, noLocalCopy: true }, 0);
    expect(j.lease?.placeId).toBe("slow");
    expect(s.stragglers(10)).toEqual([]);
  });

  it("a copy that fails while the original runs on is not offered again at that place", () => {
    const model = new SpeedModel();
    model.observe({ placeId: "slow", inputBytes: 1000, elapsedMs: 10_000 }, 0);
    model.observe({ placeId: "localhost", inputBytes: 1000, elapsedMs: 100 }, 0);
    const s = new Scheduler({ hosts: [{ id: "slow", limit: 1 }], localSlots: 1, model, policy: distccPolicy() });
    const j = s.submit({ inputBytes: 1000 }, 0);
    const [copy] = s.stragglers(10);
    expect(copy?.placeId).toBe("localhost");
    s.finish(copy!.id, { ok: false, reason: "cannot run here" }, 11);
    expect(s.stragglers(20)).toEqual([]);
    expect(s.holds(j.lease!.id)).toBe(true);
  });
});
