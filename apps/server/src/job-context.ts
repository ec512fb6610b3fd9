import type { DecoderLimits } from "@x/distcc-protocol";
import type { JobFolders } from "./job-folder.js";
import type { JobSlots } from "./job-slots.js";
import type { StopSignal } from "./job-stop.js";
import type { Launcher, ProcessLimits } from "./launcher.js";
import type { TreeBounds } from "./pump-tree.js";
import type { BwrapSandbox } from "./sandbox.js";
import type { JobCgroups } from "./job-cgroup.js";
import type { MemoryBudget } from "./memory-budget.js";
import type { Logger } from "./logger.js";
import type { HeaderStore } from "./header-store.js";
import type { CompilerWhitelist } from "./whitelist.js";

/** Everything one job needs from the server that runs it. */
export interface JobContext {
  /** Makes each job's private folder. */
  folders: JobFolders;
  /** Add `-pipe` to GCC/Clang compiles that lack it (see serverFlags). */
  addPipe: boolean;
  slots: JobSlots;
  whitelist: CompilerWhitelist;
  logger: Logger;
  limits?: Partial<DecoderLimits>;
  readTimeoutMs: number;
  requestTimeoutMs: number;
  /** Once the body has started, each window must bring this much (undefined: no minimum rate). */
  minBodyRate?: { bytes: number; windowMs: number };
  /** A client must take some of its answer this often, or it is dropped. */
  sendTimeoutMs: number;
  /** 0 = no limit. */
  jobLifetimeMs: number;
  /** Environment the compilers run with. */
  compilerEnv: NodeJS.ProcessEnv;
  /** Starts the compilers. */
  launcher: Launcher;
  /** Bytes all requests together may hold. */
  memory: MemoryBudget;
  /** Aborted when the server stops for good: running compiles are killed. */
  shutdown: StopSignal;
  /** Each compile runs in it (undefined: --sandbox none, or auto without a working bwrap). */
  sandbox?: BwrapSandbox;
  /** setrlimit on each compiler process. */
  compilerLimits: ProcessLimits;
  /** Each job runs in a cgroup of its own made here (undefined: none can be made). */
  jobCgroups?: JobCgroups;
  /** The command line (ARGV) must be complete this long after the connection opened. */
  headerTimeoutMs?: number;
  /** The header of the body (DOTI, NFIL) must be complete this long after the command line. */
  bodyStartTimeoutMs?: number;
  /** Bounds on a pump request's tree (its deadline is added per job). */
  treeBounds: Omit<TreeBounds, "deadline" | "deadlineWhat">;
  /** The header cache of pump requests from clients of ours (undefined: --cache-size 0). */
  headerStore?: HeaderStore;
}
