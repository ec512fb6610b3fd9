import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";

describe("Backoff (distcc 3.4, spec 9.7)", () => {
  it("leaves a failed host out for the period after its last failure; a success clears it", () => {
    const b = new Backoff({ periodMs: 60_000 });
    b.fail("h", 1000);
    expect(b.isBackedOff("h", 1000)).toBe(true);
    expect(b.isBackedOff("h", 60_999)).toBe(true);
    expect(b.isBackedOff("h", 61_000)).toBe(false);
    expect(b.backedOffUntil("h", 2000)).toBe(61_000);
    b.fail("h", 30_000);
    expect(b.isBackedOff("h", 61_000)).toBe(true);
    b.succeed("h");
    expect(b.isBackedOff("h", 31_000)).toBe(false);
    expect(b.isBackedOff("other", 0)).toBe(false);
  });

  it("a host that fails again as soon as it is back gets a doubled period, up to the maximum", () => {
    const b = new Backoff({ periodMs: 1000 });
    b.fail("h", 0);
    expect(b.backedOffUntil("h", 0)).toBe(1000);
    b.fail("h", 1000); // retried when back: still down
    expect(b.backedOffUntil("h", 1000)).toBe(3000);
    b.fail("h", 3000);
    expect(b.backedOffUntil("h", 3000)).toBe(7000);
    b.fail("h", 7000);
    b.fail("h", 15_000);
    expect(b.backedOffUntil("h", 15_000)).toBe(23_000); // capped at 8 x 1000
    // Failures inside the period (jobs that were already running) do not grow it.
    b.fail("h", 15_500);
    expect(b.backedOffUntil("h", 15_500)).toBe(23_500);
    b.succeed("h");
    b.fail("h", 30_000);
    expect(b.backedOffUntil("h", 30_000)).toBe(31_000);
    // distcc's fixed period on request.
    const fixed = new Backoff({ periodMs: 1000, maxPeriodMs: 1000 });
    fixed.fail("h", 0);
    fixed.fail("h", 1000);
    expect(fixed.backedOffUntil("h", 1000)).toBe(2000);
  });

  it("period 0 disables it", () => {
    const b = new Backoff({ periodMs: 0 });
    b.fail("h", 0);
    expect(b.isBackedOff("h", 0)).toBe(false);
  });

  it("reads DISTCC_BACKOFF_PERIOD like distcc's atoi", () => {
    const table: [string | undefined, number][] = [
      [undefined, 60_000],
      ["60", 60_000],
      ["5", 5_000],
      [" 12abc", 12_000],
      ["0", 0],
      ["", 0],
      ["abc", 0],
      ["-5", 0],
    ];
    for (const [value, ms] of table) expect(Backoff.periodFromEnv(value), String(value)).toBe(ms);
  });

  it("survives a JSON round trip", () => {
    const b = new Backoff({ periodMs: 1000 });
    b.fail("h", 500);
    b.fail("h", 1500);
    const c = Backoff.fromJSON(JSON.parse(JSON.stringify(b.toJSON())));
    expect(c.isBackedOff("h", 3499)).toBe(true);
    expect(c.isBackedOff("h", 3500)).toBe(false);
  });
});
