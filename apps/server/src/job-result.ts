/** distccd's job result names (the `dcc_job_summary` line and the stats page). */
export const JOB_RESULTS = [
  "COMPILE_OK",
  "COMPILE_ERROR",
  "COMPILE_TIMEOUT",
  "CLI_DISCONN",
  "REJ_BAD_REQ",
  "REJ_OVERLOAD",
  "OTHER",
] as const;
export type JobResult = (typeof JOB_RESULTS)[number];

/** What one connection came to, for the log line and the stats. */
export interface JobSummary {
  result: JobResult;
  /** Why, in words, when the result is not COMPILE_OK (e.g. "compiler tcc is not allowed"). */
  reason?: string;
  client: string;
  /** Wait status sent in STAT (0 when none was sent). */
  status: number;
  /** distcc exit code of a synthetic failure (distccd's `ret:`), 0 otherwise. */
  ret: number;
  /** Milliseconds from accept to the end of the response. */
  timeMs: number;
  /** Milliseconds the compiler ran (0 if it never ran). */
  compileMs: number;
  compiler?: string;
  input?: string;
  bytesIn: number;
  bytesOut: number;
  protocol?: number;
  /** A question, not a job: doctor's probe or a capabilities query (XCAP). Counted apart, never
   *  among the failures. */
  probe?: boolean;
}

/** distccd's summary line: `client: IP:PORT RESULT exit:N sig:N core:N ret:N time:Nms COMPILER INPUT`,
 * then ours: `proto:N` when the request got that far, and the reason of a failure. */
export function formatJobSummary(job: JobSummary): string {
  const exited = (job.status & 0x7f) === 0;
  const exit = exited ? (job.status >> 8) & 0xff : 0;
  const sig = exited ? 0 : job.status & 0x7f;
  const core = exited ? 0 : (job.status & 0x80) >> 7;
  const what = job.compiler ? `${job.compiler} ${job.input ?? ""}`.trimEnd() : "";
  const reason = job.reason ? ` reason: ${job.reason}` : "";
  // Not in distccd's line: which protocol the job spoke (3 is pump mode), after its fields.
  const protocol = job.protocol !== undefined ? ` proto:${job.protocol}` : "";
  return `client: ${job.client} ${job.result} exit:${exit} sig:${sig} core:${core} ret:${job.ret} time:${job.timeMs}ms ${what}${protocol}${reason}`;
}
