import { availableParallelism } from "node:os";
import { DISTCC_DEFAULT_PORT } from "@x/distcc-protocol";
import type { Settings } from "./settings.js";

/** Every setting that always has a value, except those whose default is made fresh each time. */
type DefaultedSettings = Omit<
  { [K in keyof Settings as undefined extends Settings[K] ? never : K]: Settings[K] },
  "jobs" | "allow" | "compilerDirs"
>;

/**
 * The server's built-in defaults, written once. The flag table's --help, the config file's JSON
 * Schema, `defaultSettings()` and the library's `startServer` fallbacks all read them from here,
 * so a default cannot differ between the CLI and an embedder.
 *
 * In the CLI's units (MB, seconds, KiB/s), as a person types them; `inServerUnits` is the one
 * place that turns them into the library's bytes and milliseconds. `jobs` is not here: it
 * depends on the machine (`defaultJobs()`).
 */
export const SERVER_DEFAULTS = Object.freeze({
  /** distcc's port, the one --version's banner names. */
  port: DISTCC_DEFAULT_PORT,
  allowPrivate: false,
  nice: 5,
  /** Seconds; 0 = no limit. */
  jobLifetime: 900,
  /** Seconds; 0 = the server never exits by itself. */
  lifetime: 0,
  /** Seconds. */
  readTimeout: 60,
  maxConnections: 256,
  maxQueue: 128,
  /** MB. */
  maxRequestMemory: 1024,
  /** MB; 0 = half of maxRequestMemory. */
  maxClientRequestMemory: 0,
  /** KiB/s; 0 = no minimum. */
  minRequestRate: 16,
  /** Seconds. */
  requestTimeout: 300,
  spawnHelper: false,
  inlineSpawn: false,
  logStderr: false,
  logLevel: "notice",
  stats: false,
  statsPort: 3633,
  zeroconf: false,
  daemon: false,
  noDetach: false,
  inetd: false,
  noPipe: false,
  /** MB; 0 = no header cache. */
  cacheSize: 128,
  help: false,
  version: false,
  sandbox: "auto",
  /** MiB of address space per compiler process (RLIMIT_AS); 0 = no limit. */
  maxCompilerMemory: 2048,
  /** CPU seconds per compiler process (RLIMIT_CPU); 0 = no limit. */
  maxCompilerCpu: 600,
  /** MiB per file a compiler writes (RLIMIT_FSIZE); 0 = no limit. */
  maxCompilerOutput: 1024,
  // A job's bounds: far above a real compile (gcc, cc1, as and the sandbox's two bwrap processes
  // are 5; cc1 of a big translation unit stays well under 2 GiB), far below what takes a machine down.
  maxJobProcesses: 256,
  /** MiB, all of a job's processes together. */
  maxJobMemory: 4096,
  /** An eighth of maxConnections: eight addresses are needed to fill the server. */
  maxClientConnections: 32,
  maxClientQueue: 32,
  /** 0 = every slot. */
  maxClientJobs: 0,
} as const satisfies DefaultedSettings);

/** Compiles at once by default: one per CPU, and two more to cover the time jobs spend on the network. */
export function defaultJobs(): number {
  return availableParallelism() + 2;
}

/** The settings that have a counterpart in the library's options (same meaning, other units). */
type TunableSettings = Pick<
  Settings,
  | "port"
  | "maxConnections"
  | "maxQueue"
  | "maxRequestMemory"
  | "maxClientRequestMemory"
  | "minRequestRate"
  | "requestTimeout"
  | "readTimeout"
  | "jobLifetime"
  | "maxCompilerMemory"
  | "maxCompilerCpu"
  | "maxCompilerOutput"
  | "maxJobProcesses"
  | "maxJobMemory"
  | "maxClientConnections"
  | "maxClientQueue"
  | "maxClientJobs"
  | "inlineSpawn"
  | "noPipe"
>;

const MB = 1024 * 1024;

/**
 * The CLI's numbers in the library's units: the only conversion from MB, seconds and KiB/s to
 * bytes and milliseconds (the CLI's `serverOptionsFrom` and `SERVER_OPTION_DEFAULTS` both use it).
 */
export function inServerUnits(s: TunableSettings) {
  return {
    port: s.port,
    maxConnections: s.maxConnections,
    maxQueue: s.maxQueue,
    maxRequestMemory: s.maxRequestMemory * MB,
    maxRequestMemoryPerClient: s.maxClientRequestMemory * MB,
    minRequestRate: s.minRequestRate * 1024,
    requestTimeoutMs: s.requestTimeout * 1000,
    readTimeoutMs: s.readTimeout * 1000,
    jobLifetimeMs: s.jobLifetime * 1000,
    compilerLimits: {
      addressSpaceMiB: s.maxCompilerMemory,
      cpuSeconds: s.maxCompilerCpu,
      fileSizeMiB: s.maxCompilerOutput,
    },
    jobBounds: { processes: s.maxJobProcesses, memoryMiB: s.maxJobMemory },
    maxConnectionsPerClient: s.maxClientConnections,
    maxQueuePerClient: s.maxClientQueue,
    maxJobsPerClient: s.maxClientJobs,
    nativeSpawn: !s.inlineSpawn,
    pipe: !s.noPipe,
  };
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) if (typeof inner === "object" && inner !== null) deepFreeze(inner);
  return Object.freeze(value);
}

/**
 * What `startServer` and `createJobService` use for an option left out: SERVER_DEFAULTS in bytes
 * and milliseconds, and the few numbers the CLI has no flag for.
 */
export const SERVER_OPTION_DEFAULTS = deepFreeze({
  ...inServerUnits(SERVER_DEFAULTS),
  sandbox: SERVER_DEFAULTS.sandbox,
  /** Drop a connection whose command line is not complete after this long. */
  headerTimeoutMs: 15_000,
  /** Drop a connection whose body header (DOTI, NFIL) is not complete this long after its command line. */
  bodyStartTimeoutMs: 60_000,
  /** The window over which minRequestRate is measured. */
  requestRateWindowMs: 10_000,
  /** When the memory budget is full, holders idle this long are dropped before a newcomer is refused. */
  memoryEvictIdleMs: 1000,
  /** `close()` (and SIGTERM, --lifetime) lets running jobs finish for this long, then kills them. */
  closeGraceMs: 10_000,
});
