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
          const strategy: SimStrategy = { kind: "scheduler", policy: earliestFinishPolicy(), duplicates: true, flow, model };
          const cold = simulateFarm(setup, strategy).makespanMs;
          const warm = simulateFarm(setup, { ...strategy, model: SpeedModel.fromJSON(model.toJSON()) }).makespanMs;
          for (const ours of [cold, warm]) {
            vsLocal.push(local / ours);
            vsDistcc.push(distcc / ours);
          }
        }
      }
    }
    // The worst cases are a make -j window full of jobs on a helper far slower than this machine
    // before its first result, and preprocessing first for jobs that all end up here (dead helpers).
    expect(Math.min(...vsLocal)).toBeGreaterThan(0.75);
    expect(Math.min(...vsDistcc)).toBeGreaterThan(0.85);
    expect(median(vsLocal)).toBeGreaterThan(1.5);
    expect(median(vsDistcc)).toBeGreaterThan(1.05);
  });
});
