import { JobCgroups, type JobBoundKind, type JobBounds } from "./job-cgroup.js";

/** Node's own threads and the spawn helper, counted by RLIMIT_NPROC with the compilers. */
const SERVER_OWN_TASKS = 64;

export interface JobBoundsChoice {
  kind: JobBoundKind;
  bounds: JobBounds;
  cgroups?: JobCgroups;
  /** RLIMIT_NPROC for every compiler, when that is the bound. */
  userProcesses?: number;
  /** Why not a cgroup (for the log and /json). */
  note?: string;
}

/**
 * How a whole job is bounded. A cgroup per job (pids.max, memory.max) when the server can make one
 * (root, or a delegated cgroup): exact, per job, and memory too. Otherwise RLIMIT_NPROC, which the
 * kernel counts per *user*, not per job: every process of the server's user, all jobs and the
 * server's own threads together. So it is set to (processes per job x jobs + the server's own),
 * a bound on the sum, which holds one job to its share only when the others are idle; it bounds
 * nothing for root (the kernel exempts it), and a server run as a login user shares the count with
 * that user's other processes: run it as a dedicated user (distccd). Memory then has only the
 * per-process RLIMIT_AS (--max-compiler-memory).
 */
export async function chooseJobBounds(
  bounds: JobBounds,
  jobs: number,
  runAs?: { uid: number; gid: number },
): Promise<JobBoundsChoice> {
  if (bounds.processes === 0 && bounds.memoryMiB === 0) return { kind: "none", bounds };
  const opened = await JobCgroups.open(bounds, runAs);
  if (opened instanceof JobCgroups) return { kind: opened.kind, bounds, cgroups: opened };
  const uid = runAs?.uid ?? process.getuid?.() ?? 0;
  if (uid !== 0 && bounds.processes > 0) {
    return {
      kind: "rlimit-nproc",
      bounds,
      userProcesses: bounds.processes * jobs + SERVER_OWN_TASKS,
      note: opened.why,
    };
  }
  return { kind: "none", bounds, note: `${opened.why}; RLIMIT_NPROC does not apply to root` };
}

/** The start-up line. */
export function describeJobBounds(c: JobBoundsChoice): string {
  const { processes, memoryMiB } = c.bounds;
  switch (c.kind) {
    case "cgroup-v1":
    case "cgroup-v2":
      return `each job runs in a cgroup of its own (${c.kind}): at most ${processes || "any number of"} processes and ${memoryMiB ? `${memoryMiB} MiB` : "any memory"} together`;
    case "rlimit-nproc":
      return `no job cgroup (${c.note}): RLIMIT_NPROC ${c.userProcesses} bounds the processes of the server's user, all jobs together; memory is bounded per process only (--max-compiler-memory)`;
    case "none":
      return c.note
        ? `jobs are NOT bounded as a whole: ${c.note}`
        : "job bounds are off (--max-job-processes 0, --max-job-memory 0)";
  }
}
