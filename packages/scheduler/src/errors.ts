import { DistccError } from "@x/distcc-errors";

/** Error raised by the scheduler on a misuse by its caller (never on a job's own failure). */
export class SchedulerError extends DistccError<SchedulerErrorCode> {}

export type SchedulerErrorCode =
  | "DISTCC_SCHED_ERR_BAD_LIMIT"
  | "DISTCC_SCHED_ERR_UNKNOWN_PLACE"
  | "DISTCC_SCHED_ERR_SLOT_NOT_HELD"
  | "DISTCC_SCHED_ERR_SLOT_TAKEN"
  | "DISTCC_SCHED_ERR_UNKNOWN_LEASE"
  | "DISTCC_SCHED_ERR_UNKNOWN_JOB"
  | "DISTCC_SCHED_ERR_BAD_MODEL_JSON"
  | "DISTCC_SCHED_ERR_BAD_OPTION"
  | "DISTCC_SCHED_ERR_SIM_STALLED";
