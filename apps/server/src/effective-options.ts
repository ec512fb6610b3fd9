import { defaultJobs, SERVER_OPTION_DEFAULTS as D } from "./defaults.js";
import type { JobBounds } from "./job-cgroup.js";
import type { ProcessLimits } from "./launcher.js";
import type { SandboxMode } from "./sandbox.js";
import type { ServerOptions } from "./server.js";

/** The numbers a server runs with: its options over SERVER_OPTION_DEFAULTS, the per-client shares worked out. */
export interface EffectiveOptions {
  port: number;
  jobs: number;
  maxConnections: number;
  /** At most maxConnections. */
  maxConnectionsPerClient: number;
  maxQueue: number;
  /** At most maxQueue. */
  maxQueuePerClient: number;
  /** At most jobs; 0 in the options means every slot. */
  maxJobsPerClient: number;
  /** Bytes. */
  maxRequestMemory: number;
  /** Bytes, at most maxRequestMemory; 0 in the options means half of it. */
  maxRequestMemoryPerClient: number;
  memoryEvictIdleMs: number;
  /** Bytes per second; 0 = no minimum. */
  minRequestRate: number;
  requestRateWindowMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  requestTimeoutMs: number;
  jobLifetimeMs: number;
  headerTimeoutMs: number;
  bodyStartTimeoutMs: number;
  sandbox: SandboxMode;
  compilerLimits: ProcessLimits;
  jobBounds: JobBounds;
  pipe: boolean;
  nativeSpawn: boolean;
}

/** Applies the defaults to what an embedder (or the CLI) gave; pure, so a test can compare both. */
export function effectiveOptions(options: ServerOptions): Readonly<EffectiveOptions> {
  const jobs = options.jobs ?? defaultJobs();
  const maxConnections = options.maxConnections ?? D.maxConnections;
  const maxQueue = options.maxQueue ?? D.maxQueue;
  const maxRequestMemory = options.maxRequestMemory ?? D.maxRequestMemory;
  const readTimeoutMs = options.readTimeoutMs ?? D.readTimeoutMs;
  return Object.freeze({
    port: options.port ?? D.port,
    jobs,
    maxConnections,
    // One address may hold only part of the connections: 256 silent ones from one machine used to
    // lock every client out until the read deadline.
    maxConnectionsPerClient: Math.min(maxConnections, options.maxConnectionsPerClient ?? D.maxConnectionsPerClient),
    maxQueue,
    maxQueuePerClient: Math.min(maxQueue, options.maxQueuePerClient ?? D.maxQueuePerClient),
    maxJobsPerClient: Math.min(jobs, (options.maxJobsPerClient ?? D.maxJobsPerClient) || jobs),
    maxRequestMemory,
    maxRequestMemoryPerClient: Math.min(
      maxRequestMemory,
      (options.maxRequestMemoryPerClient ?? D.maxRequestMemoryPerClient) || Math.ceil(maxRequestMemory / 2),
    ),
    memoryEvictIdleMs: options.memoryEvictIdleMs ?? D.memoryEvictIdleMs,
    minRequestRate: options.minRequestRate ?? D.minRequestRate,
    requestRateWindowMs: options.requestRateWindowMs ?? D.requestRateWindowMs,
    readTimeoutMs,
    sendTimeoutMs: options.sendTimeoutMs ?? readTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? D.requestTimeoutMs,
    jobLifetimeMs: options.jobLifetimeMs ?? D.jobLifetimeMs,
    headerTimeoutMs: options.headerTimeoutMs ?? D.headerTimeoutMs,
    bodyStartTimeoutMs: options.bodyStartTimeoutMs ?? D.bodyStartTimeoutMs,
    sandbox: options.sandbox ?? D.sandbox,
    compilerLimits: Object.freeze({ ...D.compilerLimits, ...options.compilerLimits }),
    jobBounds: Object.freeze({ ...D.jobBounds, ...options.jobBounds }),
    pipe: options.pipe ?? D.pipe,
    nativeSpawn: options.nativeSpawn ?? D.nativeSpawn,
  });
}
