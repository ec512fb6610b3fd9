export { LOCAL_ID } from "./types.js";
export type {
  BackoffView,
  EstimateSource,
  HostState,
  JobInfo,
  LocalPool,
  Placement,
  Policy,
  RunningJob,
  SchedulerState,
} from "./types.js";
export { SchedulerError, type SchedulerErrorCode } from "./errors.js";
export { SlotTable } from "./slot-table.js";
export { Backoff, DEFAULT_BACKOFF_PERIOD_MS, type BackoffJSON, type BackoffOptions } from "./backoff.js";
export {
  SpeedModel,
  DEFAULT_HALF_LIFE_MS,
  DEFAULT_MEMORY_JOBS,
  PARALLELISM,
  type JobObservation,
  type PlaceStatsJSON,
  type SpeedModelJSON,
  type SpeedModelOptions,
} from "./speed-model.js";
export {
  CpuPressure,
  DEFAULT_PRESSURE_HALF_LIFE_MS,
  DEFAULT_SATURATED_STRETCH,
  type CpuPressureOptions,
  type CpuPressureView,
} from "./cpu-pressure.js";
export { distccPolicy } from "./policies/distcc.js";
export { randomizedPolicy } from "./policies/randomized.js";
export { earliestFinishPolicy, type EarliestFinishOptions } from "./policies/earliest-finish.js";
export {
  BuildStats,
  formatBuildSummary,
  plural,
  type BuildStatsSnapshot,
  type PlaceStats,
  type SummaryFormatOptions,
} from "./build-stats.js";
export { shouldDuplicate, type StragglerCheck } from "./straggler.js";
export {
  Scheduler,
  type HostEntry,
  type Lease,
  type Outcome,
  type SchedulerOptions,
  type SchedulerSnapshot,
  type SubmitResult,
  type Update,
} from "./scheduler.js";
// The farm simulator and its seeded PRNG are a separate entry: `@x/distcc-scheduler/sim`.
