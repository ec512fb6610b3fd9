import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SchedulerError } from "./errors.js";
import { mulberry32 } from "./sim/prng.js";
import { SpeedModel } from "./speed-model.js";

const KIB = 1024;

describe("SpeedModel", () => {
  it("knows nothing of a place it never saw", () => {
    expect(new SpeedModel().estimate("a", 1000, 0)).toBeUndefined();
  });

  it("fits time = a + b * size from jobs of different sizes", () => {
    const m = new SpeedModel();
    for (let i = 0; i < 20; i++) {
      const kib = 10 + i * 30;
      m.observe({ placeId: "a", inputBytes: kib * KIB, elapsedMs: 20 + 0.5 * kib }, i * 100);
    }
    expect(m.estimate("a", 100 * KIB, 2000)).toBeCloseTo(70, 6);
    expect(m.estimate("a", 1000 * KIB, 2000)).toBeCloseTo(520, 6);
  });

  it("says when a job is far larger than anything a place was measured on (covers)", () => {
    const m = new SpeedModel();
    expect(m.covers("a", 400 * KIB, 0)).toBeUndefined();
    // A kernel build's first result: the 1.4 KiB empty.c.
    m.observe({ placeId: "a", inputBytes: 1.4 * KIB, elapsedMs: 551 }, 0);
    expect(m.covers("a", 5 * KIB, 0)).toBe(true);
    expect(m.covers("a", 400 * KIB, 0)).toBe(false);
    // Once it has seen sizes up to ~300 KiB, a 400 KiB job is within what it can predict.
    for (const kib of [50, 120, 300]) m.observe({ placeId: "a", inputBytes: kib * KIB, elapsedMs: 200 + kib }, 0);
    expect(m.covers("a", 400 * KIB, 0)).toBe(true);
  });

  it("learns the time per job at load 1 from jobs that shared the place", () => {
    const m = new SpeedModel();
    for (let i = 0; i < 10; i++) {
      const kib = 50 + i * 10;
      m.observe({ placeId: "a", inputBytes: kib * KIB, elapsedMs: 2 * (10 + kib), concurrency: 2 }, i);
    }
    expect(m.estimate("a", 100 * KIB, 10)).toBeCloseTo(110, 6);
    expect(m.estimate("a", 100 * KIB, 10, 3)).toBeCloseTo(330, 6);
  });

  it("learns how many jobs a place runs at full speed (its parallelism)", () => {
    const m = new SpeedModel();
    let now = 0;
    for (let i = 0; i < 64; i++, now += 10) {
      const kib = 40 + (i % 7) * 25;
      const load = 1 + (i % 8);
      // Four cores: up to four jobs at once take the time of one.
      m.observe(
        { placeId: "four", inputBytes: kib * KIB, elapsedMs: (30 + kib) * Math.max(1, load / 4), concurrency: load },
        now,
      );
      m.observe({ placeId: "one", inputBytes: kib * KIB, elapsedMs: (30 + kib) * load, concurrency: load }, now);
    }
    expect(m.parallelism("four", now)).toBe(4);
    expect(m.parallelism("one", now)).toBe(1);
    expect(m.estimate("four", 100 * KIB, now, 1)).toBeCloseTo(130, 6);
    expect(m.estimate("four", 100 * KIB, now, 8)).toBeCloseTo(260, 6);
    expect(m.estimate("one", 100 * KIB, now, 3)).toBeCloseTo(390, 6);
  });

  it("falls back to a proportional estimate when every job had the same size", () => {
    const m = new SpeedModel({ memoryJobs: Infinity });
    m.observe({ placeId: "a", inputBytes: 100 * KIB, elapsedMs: 200 }, 0);
    m.observe({ placeId: "a", inputBytes: 100 * KIB, elapsedMs: 300 }, 0);
    expect(m.estimate("a", 100 * KIB, 0)).toBe(250);
    expect(m.estimate("a", 200 * KIB, 0)).toBe(500);
    // A job has a fixed cost: never less than half the mean.
    expect(m.estimate("a", 1 * KIB, 0)).toBe(125);
  });

  it("ignores failed attempts", () => {
    const m = new SpeedModel();
    m.observe({ placeId: "a", inputBytes: 1000, elapsedMs: 5, ok: false }, 0);
    expect(m.estimate("a", 1000, 0)).toBeUndefined();
  });

  it("re-learns a host that slowed down within a few dozen jobs, whatever the time scale", () => {
    const m = new SpeedModel();
    for (let i = 0; i < 200; i++) m.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 100 }, 0);
    for (let i = 0; i < 60; i++) m.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 400 }, 0);
    expect(m.estimate("a", 60 * KIB, 0)).toBeGreaterThan(300);
    const frozen = new SpeedModel({ memoryJobs: Infinity });
    for (let i = 0; i < 200; i++) frozen.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 100 }, 0);
    for (let i = 0; i < 60; i++) frozen.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 400 }, 0);
    expect(frozen.estimate("a", 60 * KIB, 0)).toBeLessThan(200);
  });

  it("re-learns a host that got slower: old jobs fade with the half-life", () => {
    const halfLifeMs = 60_000;
    const m = new SpeedModel({ halfLifeMs });
    let now = 0;
    for (let i = 0; i < 100; i++, now += 1000) m.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 100 }, now);
    expect(m.estimate("a", 60 * KIB, now)).toBeCloseTo(100, 6);
    // Three times slower from now on; after three half-lives of new jobs the estimate follows.
    for (let i = 0; i < 180; i++, now += 1000) m.observe({ placeId: "a", inputBytes: 60 * KIB, elapsedMs: 300 }, now);
    expect(m.estimate("a", 60 * KIB, now)).toBeGreaterThan(270);
    expect(m.weight("a", now)).toBeGreaterThan(1);
  });

  it("survives a JSON round trip (persisted under DISTCC_DIR by the caller)", () => {
    const m = new SpeedModel({ halfLifeMs: 5000 });
    m.observe({ placeId: "a", inputBytes: 10 * KIB, elapsedMs: 40 }, 0);
    m.observe({ placeId: "a", inputBytes: 90 * KIB, elapsedMs: 120 }, 10);
    m.observe({ placeId: "b", inputBytes: 50 * KIB, elapsedMs: 300 }, 20);
    m.observeClient(25, 100, 20);
    const copy = SpeedModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    for (const id of ["a", "b"]) expect(copy.estimate(id, 70 * KIB, 100)).toBe(m.estimate(id, 70 * KIB, 100));
    expect(copy.clientShare(100)).toBe(m.clientShare(100));
    expect(copy.clientMs(100)).toBe(m.clientMs(100));
    expect(copy.halfLifeMs).toBe(5000);
    expect(copy.lastObservedAt("b")).toBe(20);
  });

  it("rejects malformed JSON with a typed error", () => {
    for (const bad of [
      null,
      3,
      { version: 2 },
      { version: 1, halfLifeMs: 1000 },
      { version: 1, halfLifeMs: 1000, places: { a: { w: "x" } } },
    ]) {
      let error: unknown;
      try {
        SpeedModel.fromJSON(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SchedulerError);
      expect((error as SchedulerError).code).toBe("DISTCC_SCHED_ERR_BAD_MODEL_JSON");
    }
  });

  it("converges on noisy observations of any linear cost (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 200, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (fixed, perKib, seed) => {
          const random = mulberry32(seed);
          const m = new SpeedModel();
          for (let i = 0; i < 60; i++) {
            const kib = 20 + random() * 3000;
            const noise = 0.9 + 0.2 * random();
            m.observe({ placeId: "h", inputBytes: kib * KIB, elapsedMs: (fixed + perKib * kib) * noise }, i);
          }
          for (const kib of [100, 1000, 2500]) {
            const truth = fixed + perKib * kib;
            const estimate = m.estimate("h", kib * KIB, 60)!;
            // Within 20 %, plus 2 % of the largest job's time (the noise of big jobs blurs the fixed part).
            expect(Math.abs(estimate - truth)).toBeLessThan(0.2 * truth + 0.02 * (fixed + perKib * 3020));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
