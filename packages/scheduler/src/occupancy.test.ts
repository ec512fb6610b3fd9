import { describe, expect, it } from "vitest";
import { Occupancy } from "./occupancy.js";

describe("Occupancy", () => {
  it("is the share of the time the condition held, recent time weighing more", () => {
    const o = new Occupancy(10_000);
    expect(o.share(0)).toBeUndefined();
    o.set(true, 0);
    expect(o.share(0)).toBeUndefined();
    o.set(false, 1000); // on for 1 s
    o.set(true, 2000); // off for 1 s
    expect(o.share(2000)).toBeGreaterThan(0.45);
    expect(o.share(2000)).toBeLessThan(0.5); // the older (on) second weighs a little less
    // Full for the next minute: the early half-and-half is forgotten.
    expect(o.share(62_000)).toBeGreaterThan(0.98);
    o.set(false, 62_000);
    expect(o.share(72_000)).toBeCloseTo(0.5, 1); // one half-life off
  });

  it("asking does not change the answer, and a clock going back is ignored", () => {
    const o = new Occupancy();
    o.set(true, 100);
    o.set(false, 600);
    const a = o.share(1000);
    expect(o.share(1000)).toBe(a);
    expect(o.share(900)).toBe(a);
  });
});
