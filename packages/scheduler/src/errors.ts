/** Error raised by the scheduler on a misuse by its caller (never on a job's own failure). */
export class SchedulerError extends Error {
  override readonly name = "SchedulerError";
  constructor(
    /** Stable code: `SCHED_ERR_BAD_LIMIT`, `SCHED_ERR_UNKNOWN_PLACE`, `SCHED_ERR_SLOT_NOT_HELD`, ... */
    readonly code: SchedulerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type SchedulerErrorCode =
  | "SCHED_ERR_BAD_LIMIT"
  | "SCHED_ERR_UNKNOWN_PLACE"
  | "SCHED_ERR_SLOT_NOT_HELD"
  | "SCHED_ERR_SLOT_TAKEN"
  | "SCHED_ERR_UNKNOWN_LEASE"
  | "SCHED_ERR_UNKNOWN_JOB"
  | "SCHED_ERR_BAD_MODEL_JSON"
  | "SCHED_ERR_BAD_OPTION";
