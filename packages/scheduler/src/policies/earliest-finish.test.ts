import { describe, expect, it } from "vitest";
import { SpeedModel } from "../speed-model.js";
import type { RunningJob, SchedulerState } from "../types.js";
import { earliestFinishPolicy } from "./earliest-finish.js";

const KIB = 1024;
const policy = earliestFinishPolicy();

/** A model that knows each place takes `ms` per 60 KiB job at load 1. */
function modelOf(times: Record<string, number>): SpeedModel {
  const m = new SpeedModel();
  for (const [id, ms] of Object.entries(times))
    for (let i = 0; i < 5; i++) m.observe({ placeId: id, inputBytes: 60 * KIB, elapsedMs: ms }, 0);
  return m;
}

const job = { inputBytes: 60 * KIB };

describe("earliestFinishPolicy", () => {
  it("cold start: unknown helpers are filled in list order, then this machine gets one probing job (distcc's flow: once a helper reported)", () => {
    const state: SchedulerState = {
      hosts: [
        { id: "a", limit: 1, inUse: 1 },
        { id: "b", limit: 2, inUse: 0 },
      ],
      local: { limit: 1, inUse: 0 },
      model: new SpeedModel(),
      running: [{ placeId: "a", startedAt: 0 }],
    };
    expect(policy.choose(state, job, 0)).toEqual({ kind: "remote", hostId: "b", slot: 0 });
    // Every helper full and still on its first jobs: rather than wait, this machine gets one probe.
    const full: SchedulerState = {
      ...state,
      hosts: [
        { id: "a", limit: 1, inUse: 1 },
        { id: "b", limit: 2, inUse: 2 },
      ],
      running: [
        { placeId: "a", startedAt: 0 },
        { placeId: "b", startedAt: 0 },
        { placeId: "b", startedAt: 0 },
      ],
    };
    expect(policy.choose(full, job, 0)).toEqual({ kind: "local", slot: 0 });
    // In distcc's flow (preprocessed under the lease), this machine is busy with the helpers' jobs
    // until their first results: wait for one.
    const distccFlow = { ...job, preprocessesUnderLease: true };
    expect(policy.choose(full, distccFlow, 0)).toEqual({ kind: "wait" });
    // Both reported (slow: 1 s for this job), still full: rather than wait, this machine gets one probe.
    const reported: SchedulerState = { ...full, model: modelOf({ a: 1000, b: 1000 }) };
    expect(policy.choose(reported, distccFlow, 0)).toEqual({ kind: "local", slot: 0 });
    // Its probe running, the next job waits for a place (this machine is not assumed fast meanwhile).
    const probing: SchedulerState = {
      ...reported,
      local: { limit: 2, inUse: 1 },
      running: [...full.running!, { placeId: "localhost", startedAt: 0 }],
    };
    expect(policy.choose(probing, job, 0)).toMatchObject({ kind: "wait" });
  });

  it("probes this machine while helpers are free only when they take longer than the build's pace", () => {
    const base: SchedulerState = {
      hosts: [{ id: "fast", limit: 8, inUse: 0 }],
      local: { limit: 1, inUse: 0 },
      model: modelOf({ fast: 100 }),
    };
    // Jobs come every 150 ms and the helper does one in 100 ms: this machine is not what limits the
    // build (its own preprocessing or make is); a local compile would only take CPU from it.
    expect(policy.choose({ ...base, arrivalMs: 150 }, job, 0)).toEqual({ kind: "remote", hostId: "fast", slot: 0 });
    // Jobs every 50 ms: the helper lags, one more place helps: probe this machine.
    expect(policy.choose({ ...base, arrivalMs: 50 }, job, 0)).toEqual({ kind: "local", slot: 0 });
    // Pace unknown (first jobs): probe, as before.
    expect(policy.choose(base, job, 0)).toEqual({ kind: "local", slot: 0 });
  });

  it("on a saturated CPU a local compile pays for the preprocessing it slows: a helper about to free a slot is waited for", () => {
    const model = new SpeedModel();
    for (let i = 0; i < 5; i++) {
      model.observe({ placeId: "helper", inputBytes: 60 * KIB, elapsedMs: 100 }, 0);
      model.observe({ placeId: "slow", inputBytes: 60 * KIB, elapsedMs: 1000 }, 0);
      model.observe({ placeId: "localhost", inputBytes: 60 * KIB, elapsedMs: 300 }, 0);
    }
    // The helper's 4 slots are about to end; a job there then takes 4 x 100 ms: it finishes at 400.
    const state: SchedulerState = {
      hosts: [{ id: "helper", limit: 4, inUse: 4 }],
      local: { limit: 1, inUse: 0 },
      model,
      running: Array.from({ length: 4 }, () => ({ placeId: "helper", startedAt: 0, expectedEndAt: 0 })),
    };
    // CPU to spare here: the local compile finishes at 300.
    expect(policy.choose(state, job, 0)).toEqual({ kind: "local", slot: 0 });
    // Saturated, and the helper (4 slots, 400 ms each when full: a job per 100 ms) keeps up with jobs
    // coming every 100 ms: 300 + 300 of preprocessing delayed, later than the helper: wait for it.
    const saturated: SchedulerState = { ...state, localSaturated: true, arrivalMs: 100 };
    expect(policy.choose(saturated, job, 0)).toEqual({ kind: "wait", placeId: "helper" });
    // ... but when jobs come every 50 ms the helper falls behind: it, not the preprocessing, holds the
    // build back, and a job done here is a gain.
    expect(policy.choose({ ...saturated, arrivalMs: 50 }, job, 0)).toEqual({ kind: "local", slot: 0 });
    // A build's first jobs (pace unknown): charged, a first local compile would delay all that follows.
    expect(policy.choose({ ...state, localSaturated: true }, job, 0)).toEqual({ kind: "wait", placeId: "helper" });
    // Helpers full nearly all the time: they hold the build back whatever the pace says.
    expect(policy.choose({ ...saturated, helpersFullShare: 0.2 }, job, 0)).toEqual({ kind: "wait", placeId: "helper" });
    expect(policy.choose({ ...saturated, helpersFullShare: 0.9 }, job, 0)).toEqual({ kind: "local", slot: 0 });
    // Helpers "full" three quarters of the time cut the charge to a quarter: 300 + 75 beats the helper's 400.
    const mostlyFull: SchedulerState = { ...saturated, helpersFullShare: 0.75 };
    expect(policy.choose(mostlyFull, job, 0)).toEqual({ kind: "local", slot: 0 });
    // But the helper's own time per job (request out to answer) is 50 ms: its 4 slots could take a
    // job every 12.5 ms, 8x the pace. Its slots are full because this saturated machine is slow to
    // send and read: charged in full, the helper is waited for.
    expect(policy.choose({ ...mostlyFull, helperMs: { helper: 50 } }, job, 0)).toEqual({
      kind: "wait",
      placeId: "helper",
    });
    // 240 ms: a job per 60 ms, 1.67x the pace: idle a third of the time, not what holds the build.
    expect(policy.choose({ ...mostlyFull, helperMs: { helper: 240 } }, job, 0)).toEqual({
      kind: "wait",
      placeId: "helper",
    });
    // Its own time 300 ms (a job per 75 ms: only 1.3x the pace): it may be what holds the build; as before.
    expect(policy.choose({ ...mostlyFull, helperMs: { helper: 300 } }, job, 0)).toEqual({ kind: "local", slot: 0 });
    // A helper that has not reported its time yet: as before.
    expect(policy.choose({ ...mostlyFull, helperMs: { other: 50 } }, job, 0)).toEqual({ kind: "local", slot: 0 });
    // A helper slower than this machine is still not waited for: the work is shared.
    const slow: SchedulerState = {
      ...state,
      hosts: [{ id: "slow", limit: 4, inUse: 4 }],
      running: Array.from({ length: 4 }, () => ({ placeId: "slow", startedAt: 0, expectedEndAt: 2000 })),
      localSaturated: true,
      arrivalMs: 100,
    };
    expect(policy.choose(slow, job, 0)).toEqual({ kind: "local", slot: 0 });
  });

  it("a saturated CPU is not re-probed after a quiet minute (the probe's compile would come out of the preprocessing)", () => {
    const model = modelOf({ helper: 100, localhost: 300 });
    const state: SchedulerState = {
      hosts: [{ id: "helper", limit: 4, inUse: 0 }],
      local: { limit: 1, inUse: 0 },
      model,
    };
    const later = 61_000 + 0;
    // Both stale; the helper is re-probed first either way. With the helper busy, this machine is next.
    const helperBusy: SchedulerState = {
      ...state,
      hosts: [{ id: "helper", limit: 4, inUse: 1 }],
      running: [{ placeId: "helper", startedAt: later, expectedEndAt: later + 100 }],
    };
    expect(policy.choose(helperBusy, job, later)).toEqual({ kind: "local", slot: 0 });
    expect(policy.choose({ ...helperBusy, localSaturated: true }, job, later)).toEqual({
      kind: "remote",
      hostId: "helper",
      slot: 1,
    });
  });

  it("a host back from a failure gets one job at a time until it answers", () => {
    const onProbation = (id: string): boolean => id === "flaky";
    const state: SchedulerState = {
      hosts: [
        { id: "flaky", limit: 4, inUse: 1 },
        { id: "other", limit: 4, inUse: 0 },
      ],
      local: { limit: 1, inUse: 1 },
      model: new SpeedModel(),
      backoff: { isBackedOff: () => false, onProbation },
      running: [
        { placeId: "flaky", startedAt: 0 },
        { placeId: "localhost", startedAt: 0 },
      ],
    };
    // Never measured, so a cold start would fill it; on probation with one job in flight, it gets no more.
    expect(policy.choose(state, job, 0)).toEqual({ kind: "remote", hostId: "other", slot: 0 });
    const idle: SchedulerState = { ...state, hosts: [{ id: "flaky", limit: 4, inUse: 0 }], running: [] };
    expect(policy.choose(idle, job, 0)).toEqual({ kind: "remote", hostId: "flaky", slot: 0 });
  });

  it("a helper measured only on far smaller jobs is probed with a big one (its estimate would be an extrapolation)", () => {
    const m = new SpeedModel();
    m.observe({ placeId: "helper", inputBytes: 1.4 * KIB, elapsedMs: 551 }, 0);
    for (let i = 0; i < 5; i++)
      m.observe({ placeId: "localhost", inputBytes: (100 + 60 * i) * KIB, elapsedMs: 2000 + 20 * i }, 0);
    const state: SchedulerState = {
      hosts: [{ id: "helper", limit: 4, inUse: 0 }],
      local: { limit: 1, inUse: 0 },
      model: m,
    };
    // Proportionally, 400 KiB would take the helper 157 s, this machine ~2.1 s; it goes to the helper to learn.
    expect(policy.choose(state, { inputBytes: 400 * KIB }, 0)).toEqual({ kind: "remote", hostId: "helper", slot: 0 });
    // A job of the size it was measured on is placed on the estimates as usual.
    expect(policy.choose(state, { inputBytes: 2 * KIB }, 0)).toEqual({ kind: "remote", hostId: "helper", slot: 0 });
    const slowHelper = new SpeedModel();
    slowHelper.observe({ placeId: "helper", inputBytes: 60 * KIB, elapsedMs: 9000 }, 0);
    for (let i = 0; i < 5; i++) slowHelper.observe({ placeId: "localhost", inputBytes: 60 * KIB, elapsedMs: 500 }, 0);
    expect(policy.choose({ ...state, model: slowHelper }, job, 0)).toEqual({ kind: "local", slot: 0 });
  });

  it("with no usable helper, this machine is the fallback", () => {
    const state: SchedulerState = {
      hosts: [{ id: "a", limit: 2, inUse: 0, down: true }],
      local: { limit: 1, inUse: 0 },
    };
    expect(policy.choose(state, job, 0)).toEqual({ kind: "local", slot: 0 });
  });

  it("prefers the place that finishes first, this machine included", () => {
    const state: SchedulerState = {
      hosts: [
        { id: "slow", limit: 4, inUse: 0 },
        { id: "fast", limit: 4, inUse: 0 },
      ],
      local: { limit: 1, inUse: 0 },
      model: modelOf({ slow: 900, fast: 100, localhost: 300 }),
    };
    expect(policy.choose(state, job, 0)).toEqual({ kind: "remote", hostId: "fast", slot: 0 });
    const noFast = { ...state, hosts: [{ id: "slow", limit: 4, inUse: 0 }] };
    expect(policy.choose(noFast, job, 0)).toEqual({ kind: "local", slot: 0 });
  });

  it("waits for a clearly better busy place, but uses a free one once the queue for it is long", () => {
    const running: RunningJob[] = [{ placeId: "localhost", startedAt: 0, expectedEndAt: 150 }];
    const state: SchedulerState = {
      hosts: [{ id: "slow", limit: 4, inUse: 0 }],
      local: { limit: 1, inUse: 1 },
      model: modelOf({ slow: 1000, localhost: 200 }),
      running,
    };
    // Local frees at 150 and takes 200: 350 against 1000 on the slow helper.
    expect(policy.choose(state, job, 0)).toEqual({ kind: "wait", placeId: "localhost" });
    // Four jobs already wait for this machine: 150 + 5 * 200 = 1150 > 1000.
    expect(policy.choose({ ...state, queuedFor: { localhost: 4 } }, job, 0)).toEqual({
      kind: "remote",
      hostId: "slow",
      slot: 0,
    });
    // An urgent job (overtaken too often) takes any free place.
    expect(policy.choose(state, { ...job, urgent: true }, 0)).toEqual({ kind: "remote", hostId: "slow", slot: 0 });
  });

  it("a local compile on a client busy preprocessing remote jobs costs them too", () => {
    const state: SchedulerState = {
      hosts: [{ id: "helper", limit: 4, inUse: 3 }],
      local: { limit: 1, inUse: 0 },
      model: modelOf({ helper: 400, localhost: 300 }),
      running: [0, 1, 2].map(() => ({ placeId: "helper", startedAt: 0, expectedEndAt: 1200 })),
    };
    // Alone, this machine (300) beats the helper at load 4 (1600).
    expect(policy.choose(state, job, 0)).toEqual({ kind: "local", slot: 0 });
    // With the preprocessing of 3 remote jobs on it: 300 * 4 + 3 * 300 = 2100 > 1600.
    expect(policy.choose({ ...state, localLoadExtra: 3 }, job, 0)).toEqual({
      kind: "remote",
      hostId: "helper",
      slot: 3,
    });
  });

  it("honours localOnly, excluded places and backoff", () => {
    const state: SchedulerState = {
      hosts: [
        { id: "a", limit: 1, inUse: 0 },
        { id: "b", limit: 1, inUse: 0 },
      ],
      local: { limit: 1, inUse: 0 },
      model: modelOf({ a: 100, b: 200, localhost: 300 }),
      backoff: { isBackedOff: (id) => id === "a" },
    };
    expect(policy.choose(state, { ...job, localOnly: true }, 0)).toEqual({ kind: "local", slot: 0 });
    expect(policy.choose(state, job, 0)).toEqual({ kind: "remote", hostId: "b", slot: 0 });
    expect(policy.choose(state, { ...job, excluded: ["b"] }, 0)).toEqual({ kind: "local", slot: 0 });
    expect(policy.choose(state, { ...job, excluded: ["b", "localhost"] }, 0)).toEqual({ kind: "local", slot: 0 });
  });
});
