import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { earliestFinishPolicy } from "../policies/earliest-finish.js";
import { SpeedModel } from "../speed-model.js";
import { simulateFarm } from "./farm.js";
import { generatedProjectJobs } from "./jobs.js";

describe("the learned model on random simulated farms (fast-check)", () => {
  it("converges: helpers are ranked by their real speed", () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.double({ min: 0.25, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0.1, max: 2, noNaN: true }), { minLength: 2, maxLength: 3 }),
        fc.integer({ min: 1, max: 1000 }),
        (clientSpeed, speeds, seed) => {
          const helpers = speeds.map((speed, i) => ({
            id: `h${i}`,
            slots: 2,
            cpus: 1,
            speed,
            latencyMs: 0.2,
            bytesPerMs: 110_000,
          }));
          const model = new SpeedModel();
          const setup = {
            name: "random",
            client: { cpus: 1, speed: clientSpeed, localSlots: 1, parallelism: 6, localParallelism: 1 },
            helpers,
            jobs: generatedProjectJobs(80, seed),
          };
          const result = simulateFarm(setup, {
            kind: "scheduler",
            policy: earliestFinishPolicy(),
            model,
            flow: "preprocess-first",
          });
          const now = result.makespanMs;
          // Time per 60 KB job at load 1; compared only where the real speeds differ by 2x or more and
          // both places ran a few jobs (a place the policy rightly avoided is not measured again). This
          // machine is left out: it is measured under the build's own preprocessing load.
          const known = (id: string): number | undefined =>
            model.count(id) >= 3 ? model.estimate(id, 60_000, now, 1) : undefined;
          for (const a of helpers) {
            for (const b of helpers) {
              const [ea, eb] = [known(a.id), known(b.id)];
              if (a.speed >= 2 * b.speed && ea !== undefined && eb !== undefined) {
                compared++;
                expect(ea).toBeLessThan(eb);
              }
            }
          }
        },
      ),
      // A fixed seed: CI must not turn red at random (1000 runs over ten other seeds passed too).
      { numRuns: 100, seed: 20261126 },
    );
    expect(compared).toBeGreaterThan(5);
  });

  // Found by this property with a random seed (issue 7; was pinned as a known defect): next to a very
  // slow helper (speed 0.115), a helper 2.6x faster (0.30) was estimated slower, after 80 jobs with
  // the client at 0.25: the slow helpers kept getting jobs, and four jobs whose compile time varies
  // 10x at about the same size happened to make the faster one look slower. With the policy of issue
  // 7 (no local probe and no crowding while helpers are on their first jobs) the slow helpers only run
  // their first jobs and every estimate ranks right. The model itself did not change: a handful of
  // noisy jobs can still misrank two places close in speed, which the property above does not ask.
  it("ranks a slow helper next to a very slow one (client 0.25; speeds 0.115, 1.59, 0.30; seed 6)", () => {
    const model = new SpeedModel();
    const helpers = [0.11505204732826997, 1.5923408926890728, 0.3009845078161621].map((speed, i) => ({
      id: `h${i}`,
      slots: 2,
      cpus: 1,
      speed,
      latencyMs: 0.2,
      bytesPerMs: 110_000,
    }));
    const setup = {
      name: "counterexample",
      client: { cpus: 1, speed: 0.25, localSlots: 1, parallelism: 6, localParallelism: 1 },
      helpers,
      jobs: generatedProjectJobs(80, 6),
    };
    const result = simulateFarm(setup, {
      kind: "scheduler",
      policy: earliestFinishPolicy(),
      model,
      flow: "preprocess-first",
    });
    const estimate = (id: string): number => {
      const ms = model.estimate(id, 60_000, result.makespanMs, 1);
      expect(ms, id).toBeDefined();
      return ms!;
    };
    // Every helper measured; ranked by real speed: h1 (1.59) before h2 (0.30) before h0 (0.115).
    expect(estimate("h1")).toBeLessThan(estimate("h2"));
    expect(estimate("h2")).toBeLessThan(estimate("h0"));
    // The fast helper did most of the build.
    expect(result.completedAt.h1!).toBeGreaterThan(60);
  });
});
