import { describe, expect, it } from "vitest";
import { distccPolicy } from "../policies/distcc.js";
import { earliestFinishPolicy } from "../policies/earliest-finish.js";
import { SpeedModel } from "../speed-model.js";
import { type SimStrategy, simulateFarm } from "./farm.js";
import { randomSetups } from "./setups.js";

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

describe("random simulated farms (60 farms, both flows, cold and warm)", () => {
  it("no disaster against a local build or distcc, and better than both in the median", () => {
    const vsLocal: number[] = [];
    const vsDistcc: number[] = [];
    for (const seed of [1, 2]) {
      for (const setup of randomSetups(seed, 30)) {
        const local = simulateFarm(setup, { kind: "local-only" }).makespanMs;
        const distcc = simulateFarm(setup, { kind: "scheduler", policy: distccPolicy() }).makespanMs;
        for (const flow of ["choose-first", "preprocess-first"] as const) {
          const model = new SpeedModel();
          const strategy: SimStrategy = {
            kind: "scheduler",
            policy: earliestFinishPolicy(),
            duplicates: true,
            flow,
            model,
          };
          const cold = simulateFarm(setup, strategy).makespanMs;
          const warm = simulateFarm(setup, { ...strategy, model: SpeedModel.fromJSON(model.toJSON()) }).makespanMs;
          for (const ours of [cold, warm]) {
            vsLocal.push(local / ours);
            vsDistcc.push(distcc / ours);
          }
        }
      }
    }
    // Before issue 7 (same 240 runs): 17 below local (worst 0.87x), 46 below distcc's order (worst
    // 0.88x). Now 17 below local (worst 0.87x) and 32 below distcc's order (worst 0.87x). Below local:
    // farms whose every helper is dead (in distcc's flow each retry after a backoff loses a
    // preprocessing; in our agent's flow a job preprocessed apart, then compiled here, costs ~14 %
    // more CPU than a plain local compile, whatever the policy) or a single
    // helper 3-7x slower than this machine that a cold start fills before its first result (those
    // jobs get straggler copies here once this machine is known). Below distcc's order: the tail of
    // the build, and a local probe on a weak client.
    expect(Math.min(...vsLocal)).toBeGreaterThan(0.86);
    expect(Math.min(...vsDistcc)).toBeGreaterThan(0.86);
    expect(vsLocal.filter((v) => v < 1).length).toBeLessThanOrEqual(17);
    expect(vsDistcc.filter((v) => v < 1).length).toBeLessThanOrEqual(32);
    expect(median(vsLocal)).toBeGreaterThan(1.5);
    expect(median(vsDistcc)).toBeGreaterThan(1.1);
  });
});
