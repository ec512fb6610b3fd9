import { describe, expect, it } from "vitest";
import { CpuPressure } from "./cpu-pressure.js";
import { SchedulerError } from "./errors.js";

describe("CpuPressure", () => {
  it("says saturated when processes take at least twice their CPU time in wall time", () => {
    const p = new CpuPressure();
    expect(p.stretch(0)).toBeUndefined();
    expect(p.saturated(0)).toBe(false);
    for (let i = 0; i < 10; i++) p.observe(12, 10, i * 100);
    expect(p.stretch(1000)).toBeCloseTo(1.2);
    expect(p.saturated(1000)).toBe(false);
    // A client throttled to a quarter of a core: 4x.
    for (let i = 0; i < 40; i++) p.observe(40, 10, 1000 + i * 100);
    expect(p.stretch(5000)).toBeGreaterThan(3);
    expect(p.saturated(5000)).toBe(true);
  });

  it("weighs big processes the most (a ratio of sums: a fork's fixed cost does not make a tiny file look starved)", () => {
    const p = new CpuPressure();
    p.observe(3, 1, 0); // tiny: 3x, mostly fork and exec
    p.observe(110, 100, 0); // big: 1.1x
    expect(p.stretch(0)).toBeCloseTo(113 / 101);
    expect(p.saturated(0)).toBe(false);
  });

  it("forgets: a burst of contention a minute ago says nothing now", () => {
    const p = new CpuPressure({ halfLifeMs: 5000 });
    for (let i = 0; i < 20; i++) p.observe(50, 10, i);
    expect(p.saturated(100)).toBe(true);
    p.observe(11, 10, 60_000);
    expect(p.stretch(60_000)).toBeLessThan(1.2);
    expect(p.saturated(60_000)).toBe(false);
    // Long after the last observation there is nothing left to tell.
    expect(p.stretch(10 * 60_000)).toBeUndefined();
  });

  it("ignores observations that cannot be times and rejects bad options", () => {
    const p = new CpuPressure();
    for (const [wall, cpu] of [
      [0, 5],
      [5, 0],
      [-1, 1],
      [Number.NaN, 1],
      [Infinity, 1],
      [1, Infinity],
    ] as const)
      p.observe(wall, cpu, 0);
    expect(p.stretch(0)).toBeUndefined();
    expect(() => new CpuPressure({ halfLifeMs: 0 })).toThrow(SchedulerError);
    expect(() => new CpuPressure({ saturatedAt: 1 })).toThrow(SchedulerError);
  });
});
