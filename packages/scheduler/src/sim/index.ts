// @x/distcc-scheduler/sim: a deterministic farm to measure policies on (bench/scheduler-sim.mjs, the
// seeded simulation tests), with its seeded PRNG. Not loaded by the agent.
export { mulberry32 } from "./prng.js";
export { PsResource } from "./ps-resource.js";
export { generatedProjectJobs, kernelLikeJobs, type SimJob } from "./jobs.js";
export {
  simulateFarm,
  type FarmSetup,
  type SimClient,
  type SimHelper,
  type SimResult,
  type SimStrategy,
} from "./farm.js";
export { randomSetups, standardSetups } from "./setups.js";
