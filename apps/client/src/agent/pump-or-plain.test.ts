import { describe, expect, it } from "vitest";
import { DEFAULT_MODE_RULES, decideMode, jobMode, type ModeFigures } from "./pump-or-plain.js";
import { PumpModes } from "./pump-modes.js";
import { ShareClock } from "./share-clock.js";

const R = DEFAULT_MODE_RULES;
/** A host in pump mode, measured: 10 pump jobs of 300 ms, this machine's preprocessing 100 ms, both fresh. */
const pumpHost: ModeFigures = {
  mode: "pump",
  pumpMs: 300,
  pumpJobs: 10,
  pumpAgeMs: 100,
  cppMs: 100,
  cppAgeMs: 100,
  sinceOther: 0,
  fed: 1,
  full: true,
};

describe("decideMode: pump or plain for a ,cpp host", () => {
  it("pump while the helper is not measured yet (fewer than minPumpJobs jobs)", () => {
    const d = decideMode({ mode: "pump", pumpJobs: 0, sinceOther: 99, fed: 1, full: true });
    expect(d).toMatchObject({ mode: "pump", hostMode: "pump", probe: false });
    expect(decideMode({ ...pumpHost, pumpJobs: R.minPumpJobs - 1, pumpMs: 10_000 }).mode).toBe("pump");
  });

  it("pump mode, the helper with a slot free: pump, no probe, however slow it is (it is not what the build waits for)", () => {
    const free = { ...pumpHost, full: false, sinceOther: R.probeGap };
    expect(decideMode({ ...free, pumpMs: 10_000 })).toEqual({
      mode: "pump",
      probe: false,
      hostMode: "pump",
      reason: "the helper has a slot free",
    });
    expect(decideMode({ ...free, cppAgeMs: undefined, cppMs: undefined }).probe).toBe(false);
    // In plain mode the figures decide alone (its slots are full of plain jobs or not).
    expect(decideMode({ ...free, mode: "plain", pumpMs: 800, sinceOther: 0 }).hostMode).toBe("plain");
  });

  it("pump mode, preprocessing here not measured lately: one plain job as a probe, at most once per probeGap jobs", () => {
    const stale = { ...pumpHost, cppAgeMs: R.cppFreshMs + 1 };
    expect(decideMode({ ...stale, sinceOther: R.probeGap })).toMatchObject({
      mode: "plain",
      hostMode: "pump",
      probe: true,
      reason: "probe: measuring this machine's preprocessing",
    });
    expect(decideMode({ ...stale, sinceOther: R.probeGap - 1 })).toMatchObject({ mode: "pump", probe: false });
    const never: ModeFigures = { mode: "pump", pumpMs: 900, pumpJobs: 5, sinceOther: R.probeGap, fed: 1, full: true };
    expect(decideMode(never)).toMatchObject({ mode: "plain", probe: true, hostMode: "pump" });
  });

  it("pump mode, the helper's time near the switch (over toPump x preprocessing): a figure older than cppRecheckMs is measured again", () => {
    const near = { ...pumpHost, pumpMs: 120, cppMs: 100, sinceOther: R.probeGap };
    expect(decideMode({ ...near, cppAgeMs: R.cppRecheckMs + 1 })).toMatchObject({ mode: "plain", probe: true });
    expect(decideMode({ ...near, cppAgeMs: R.cppRecheckMs })).toMatchObject({ mode: "pump", probe: false });
    // Far from it (the helper quicker than the preprocessing here): the figure lasts cppFreshMs.
    const far = { ...near, pumpMs: 80, cppAgeMs: R.cppFreshMs };
    expect(decideMode(far)).toMatchObject({ mode: "pump", probe: false });
    expect(decideMode({ ...far, cppAgeMs: R.cppFreshMs + 1 })).toMatchObject({ mode: "plain", probe: true });
  });

  it("pump mode, the helper slower than toPlain x this machine's preprocessing: plain from now on, and says why", () => {
    const d = decideMode({ ...pumpHost, pumpMs: 151, cppMs: 100 });
    expect(d).toEqual({
      mode: "plain",
      probe: false,
      hostMode: "plain",
      reason: "the helper takes 151 ms per job with its preprocessing, this machine 100 ms per preprocessing",
    });
    // At the threshold and under it: pump (this machine has no time to spare for it).
    expect(decideMode({ ...pumpHost, pumpMs: 150, cppMs: 100 }).mode).toBe("pump");
    expect(decideMode({ ...pumpHost, pumpMs: 120, cppMs: 100 }).hostMode).toBe("pump");
  });

  it("a machine whose preprocessing feeds several helpers counts it once per helper", () => {
    expect(decideMode({ ...pumpHost, pumpMs: 250, cppMs: 100, fed: 1 }).mode).toBe("plain");
    const two = decideMode({ ...pumpHost, pumpMs: 250, cppMs: 100, fed: 2 });
    expect(two.mode).toBe("pump");
    expect(two.reason).toMatch(/\(x2: it feeds 2 helpers\)$/);
    expect(decideMode({ ...pumpHost, pumpMs: 301, cppMs: 100, fed: 2 }).mode).toBe("plain");
  });

  it("plain mode stays plain while the helper stays slow, with one pump probe every probeEvery jobs", () => {
    const plain: ModeFigures = { ...pumpHost, mode: "plain", pumpMs: 800 };
    expect(decideMode(plain)).toMatchObject({ mode: "plain", hostMode: "plain", probe: false });
    expect(decideMode({ ...plain, sinceOther: R.probeEvery - 1 }).mode).toBe("plain");
    expect(decideMode({ ...plain, sinceOther: R.probeEvery })).toMatchObject({
      mode: "pump",
      hostMode: "plain",
      probe: true,
      reason: "probe: measuring the helper in pump mode again",
    });
  });

  it("switch back: a helper fast again (under toPump x preprocessing) returns to pump; between the two thresholds nothing moves", () => {
    const plain: ModeFigures = { ...pumpHost, mode: "plain" };
    const back = decideMode({ ...plain, pumpMs: 90, cppMs: 100 });
    expect(back).toMatchObject({ mode: "pump", hostMode: "pump", probe: false });
    expect(back.reason).toMatch(/^the helper is fast again: the helper takes 90 ms per job/);
    // Hysteresis: 120 ms is above toPump x 100 and under toPlain x 100: each mode stays where it is.
    expect(decideMode({ ...plain, pumpMs: 120 }).hostMode).toBe("plain");
    expect(decideMode({ ...pumpHost, pumpMs: 120 }).hostMode).toBe("pump");
  });

  it("plain mode with figures older than forgetMs goes back to pump (a later build measures afresh)", () => {
    const old: ModeFigures = { ...pumpHost, mode: "plain", pumpMs: 800, pumpAgeMs: R.forgetMs + 1 };
    expect(decideMode({ ...old, cppAgeMs: R.forgetMs + 1 })).toMatchObject({
      mode: "pump",
      hostMode: "pump",
      reason: "the figures are old: measuring again",
    });
    // One of the two figures fresh is enough to stay.
    expect(decideMode({ ...old, cppAgeMs: 10 }).hostMode).toBe("plain");
  });
});

describe("jobMode: one job over several ,cpp hosts", () => {
  it("all pump: pump; all plain: plain; mixed: pump to the free pump-mode hosts only, else plain", () => {
    expect(jobMode([{ id: "a", mode: "pump", free: false }])).toEqual({ mode: "pump", excluded: [] });
    expect(jobMode([{ id: "a", mode: "plain", free: true }])).toEqual({ mode: "plain", excluded: [] });
    const mixed = [
      { id: "a", mode: "pump" as const, free: true },
      { id: "b", mode: "plain" as const, free: true },
    ];
    expect(jobMode(mixed)).toEqual({ mode: "pump", excluded: ["b"] });
    expect(jobMode([{ ...mixed[0]!, free: false }, mixed[1]!])).toEqual({ mode: "plain", excluded: [] });
  });
});

describe("ShareClock", () => {
  it("charges each piece its share of the time while pieces overlap; the shares add up to the busy time", () => {
    const c = new ShareClock();
    const a = c.start(0);
    const b = c.start(100); // 0-100: a alone; 100-300: a and b
    expect(a(300)).toBe(200);
    expect(c.running).toBe(1);
    expect(b(400)).toBe(200); // 100-300 half, 300-400 alone
    expect(a(500)).toBe(0); // an end reported twice counts once
    const d = c.start(1000); // idle time between is nobody's
    expect(d(1050)).toBe(50);
  });
});

describe("PumpModes: the figures behind the decision", () => {
  it("the helper's time is its share of the part of the exchange it held the job (serverMs), not this machine's writing and reading", () => {
    const m = new PumpModes();
    for (let i = 0; i < 3; i++) {
      const t = i * 10_000;
      // Alone, 1000 ms from connect to answer, of which the helper held it 400 ms.
      m.helperStarted("h", t)(true, 400, t + 1000);
    }
    m.cppStarted(30_000)(true, 30_100);
    expect(m.decide("h", 1, true, 30_100).reason).toBe(
      "the helper takes 400 ms per job with its preprocessing, this machine 100 ms per preprocessing",
    );
  });

  it("a helper that takes far longer than this machine's preprocessing goes plain after a probe, and back to pump when it is fast again", () => {
    const m = new PumpModes();
    let t = 0;
    const host = "tcp_h_1";
    // Three pump jobs overlapping two at a time, 1200 ms each: 600 ms of the helper per job.
    for (let i = 0; i < 3; i++) {
      expect(m.decide(host, 1, true, t).mode).toBe("pump");
      const a = m.helperStarted(host, t);
      const b = m.helperStarted(host, t);
      a(true, undefined, t + 1200);
      b(undefined, undefined, t + 1200); // a failed send: nothing learned, but it shared the helper
      t += 1200;
    }
    // Nothing measured here yet: the next job is a plain probe; the host stays in pump mode.
    expect(m.decide(host, 1, true, t)).toMatchObject({ mode: "plain", probe: true, hostMode: "pump" });
    const cpp = m.cppStarted(t);
    cpp(true, t + 80);
    t += 100;
    const d = m.decide(host, 1, true, t);
    expect(d).toMatchObject({ mode: "plain", hostMode: "plain", probe: false });
    expect(d.reason).toBe(
      "the helper takes 600 ms per job with its preprocessing, this machine 80 ms per preprocessing",
    );
    expect(m.modeOf(host)).toBe("plain");
    // Plain jobs; after probeEvery of them, one pump probe.
    let probes = 0;
    for (let i = 0; i <= R.probeEvery; i++) {
      const p = m.decide(host, 1, true, t);
      if (p.probe) probes++;
      m.cppStarted(t)(true, t + 80);
      t += 100;
    }
    expect(probes).toBe(1);
    // The helper became fast: a probe of 20 ms moves its figure (probes weigh more) until it is under 80 ms.
    for (let i = 0; i < 4 && m.modeOf(host) === "plain"; i++) {
      m.helperStarted(host, t)(true, undefined, t + 20);
      t += 100;
      m.decide(host, 1, true, t);
    }
    expect(m.modeOf(host)).toBe("pump");
  });
});
