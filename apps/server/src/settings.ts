// Every server setting declared once as data (flag, config key, kind, help), with its parser: long
// because the table is the documentation; defaults live in defaults.ts.
import { defaultJobs, SERVER_DEFAULTS, SERVER_OPTION_DEFAULTS } from "./defaults.js";
import { SANDBOX_MODES, type SandboxMode } from "./sandbox.js";

/** Log levels, most to least severe (distccd's names). */
export const LOG_LEVELS = ["critical", "error", "warning", "notice", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything the CLI can be told, by flag or by config file. The library takes a subset
 * (ServerOptions); the rest (pid file, detaching, nice, inetd) is the CLI's business.
 */
export interface Settings {
  port: number;
  listen?: string;
  allow: string[];
  allowPrivate: boolean;
  jobs: number;
  nice: number;
  jobLifetime: number;
  /** distccd's --lifetime: the whole server exits after this many seconds (0 = never). */
  lifetime: number;
  readTimeout: number;
  maxConnections: number;
  maxQueue: number;
  maxRequestMemory: number;
  spawnHelper: boolean;
  inlineSpawn: boolean;
  logFile?: string;
  logStderr: boolean;
  logLevel: LogLevel;
  stats: boolean;
  statsPort: number;
  /** distccd's --zeroconf: register `_distcc._tcp` over DNS-SD (Avahi, else mDNS here). */
  zeroconf: boolean;
  pidFile?: string;
  user?: string;
  daemon: boolean;
  noDetach: boolean;
  inetd: boolean;
  compilerDirs: string[];
  tempDir?: string;
  noPipe: boolean;
  cacheFile?: string;
  /** Header cache directory (kept across restarts); undefined = in memory. */
  cacheDir?: string;
  /** Header cache bound, MB (0 = no header cache). */
  cacheSize: number;
  config?: string;
  help: boolean;
  version: boolean;
  sandbox: SandboxMode;
  maxCompilerMemory: number;
  maxCompilerCpu: number;
  maxCompilerOutput: number;
  maxJobProcesses: number;
  maxJobMemory: number;
  maxClientConnections: number;
  maxClientQueue: number;
  /** Compile slots one client address may hold (0 = every slot). */
  maxClientJobs: number;
  /** Bytes of the request memory budget one client address may hold, in MB (0 = half of it). */
  maxClientRequestMemory: number;
  /** KiB/s a request's body must keep up once it has started (0 = no minimum). */
  minRequestRate: number;
  /** Seconds a whole request may take to arrive. */
  requestTimeout: number;
  /** distccd's --enable-tcp-insecure was given (accepted for ssh mode; the whitelist stays on). */
  insecureRequested?: boolean;
}

type Kind =
  | { type: "int"; min: number; max: number }
  | { type: "string" }
  | { type: "list" }
  | { type: "bool" }
  | { type: "enum"; values: readonly string[] };

/** One option, declared once: flag spelling, config-file key, type and range, help text. */
export interface OptionSpec {
  key: keyof Settings;
  flag: string;
  short?: string;
  aliases?: string[];
  kind: Kind;
  /** Placeholder for the value in --help. */
  arg?: string;
  /** What it does; --help adds "default N" from SERVER_DEFAULTS (help.ts), so no number is written here. */
  help: string;
  /** Not accepted in the config file (only makes sense on the command line). */
  flagOnly?: boolean;
}

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: "port",
    flag: "--port",
    short: "-p",
    kind: { type: "int", min: 0, max: 65535 },
    arg: "PORT",
    help: "TCP port to listen on (0 = any free port)",
  },
  {
    key: "listen",
    flag: "--listen",
    kind: { type: "string" },
    arg: "ADDRESS",
    help: "address to bind (default: all addresses)",
  },
  {
    key: "allow",
    flag: "--allow",
    short: "-a",
    kind: { type: "list" },
    arg: "IP[/BITS]",
    help: "accept clients from this address or network (repeatable, IPv4 or IPv6); default: loopback only",
  },
  {
    key: "allowPrivate",
    flag: "--allow-private",
    kind: { type: "bool" },
    help: "accept clients from the private networks (10/8, 172.16/12, 192.168/16, 127/8, fe80::/10, fc00::/7, ::1)",
  },
  {
    key: "jobs",
    flag: "--jobs",
    short: "-j",
    kind: { type: "int", min: 1, max: 1024 },
    arg: "N",
    help: "compiles run at once (default: CPUs + 2)",
  },
  {
    key: "nice",
    flag: "--nice",
    short: "-N",
    kind: { type: "int", min: -20, max: 19 },
    arg: "N",
    help: "niceness of the server and its compilers",
  },
  {
    key: "jobLifetime",
    flag: "--job-lifetime",
    kind: { type: "int", min: 0, max: 86_400 },
    arg: "SECONDS",
    help: "kill a job (pump tree and compile) that runs longer (0 = no limit)",
  },
  {
    key: "lifetime",
    flag: "--lifetime",
    kind: { type: "int", min: 0, max: 2_147_483_647 },
    arg: "SECONDS",
    help: `exit after SECONDS, as distccd (running jobs get ${SERVER_OPTION_DEFAULTS.closeGraceMs / 1000} s to finish; 0 = never)`,
  },
  {
    key: "readTimeout",
    flag: "--read-timeout",
    kind: { type: "int", min: 1, max: 3600 },
    arg: "SECONDS",
    help: "drop a client that sends nothing for this long while sending its request, or takes nothing of its answer",
  },
  {
    key: "maxConnections",
    flag: "--max-connections",
    kind: { type: "int", min: 1, max: 65_535 },
    arg: "N",
    help: "connections open at once; beyond, new ones are closed",
  },
  {
    key: "maxQueue",
    flag: "--max-queue",
    kind: { type: "int", min: 0, max: 65_535 },
    arg: "N",
    help: "complete requests waiting for a compile slot; beyond, refused",
  },
  {
    key: "maxRequestMemory",
    flag: "--max-request-memory",
    kind: { type: "int", min: 1, max: 1_048_576 },
    arg: "MB",
    help: `memory all requests being read or waiting, and answers being sent, may hold together; when full, those idle for ${SERVER_OPTION_DEFAULTS.memoryEvictIdleMs / 1000} s are dropped before a newcomer is refused`,
  },
  {
    key: "maxClientRequestMemory",
    flag: "--max-client-request-memory",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "MB",
    help: "of that memory, what one client address may hold (0 = half of --max-request-memory)",
  },
  {
    key: "minRequestRate",
    flag: "--min-request-rate",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "KB",
    help: `KiB per second a request must keep up (each ${SERVER_OPTION_DEFAULTS.requestRateWindowMs / 1000} s) once its body has started; slower ones are dropped (0 = no minimum)`,
  },
  {
    key: "requestTimeout",
    flag: "--request-timeout",
    kind: { type: "int", min: 1, max: 86_400 },
    arg: "SECONDS",
    help: "drop a client whose whole request has not arrived after this long",
  },
  {
    key: "spawnHelper",
    flag: "--spawn-helper",
    kind: { type: "bool" },
    help: "accepted for compatibility: compilers always start from the spawn helper (the C one, unless --inline-spawn)",
  },
  {
    key: "inlineSpawn",
    flag: "--inline-spawn",
    kind: { type: "bool" },
    help: "start compilers from the server process itself instead of the tiny C helper built at first use with cc (default off)",
  },
  {
    key: "logFile",
    flag: "--log-file",
    kind: { type: "string" },
    arg: "FILE",
    help: "append log lines to FILE (SIGHUP reopens it)",
  },
  {
    key: "logStderr",
    flag: "--log-stderr",
    kind: { type: "bool" },
    help: "log to stderr (the default when no --log-file is given)",
  },
  {
    key: "logLevel",
    flag: "--log-level",
    kind: { type: "enum", values: LOG_LEVELS },
    arg: "LEVEL",
    help: "critical, error, warning, notice, info or debug",
  },
  {
    key: "stats",
    flag: "--stats",
    kind: { type: "bool" },
    help: "serve statistics over HTTP (distccd's page at /, JSON at /json, Prometheus at /metrics)",
  },
  {
    key: "statsPort",
    flag: "--stats-port",
    kind: { type: "int", min: 0, max: 65535 },
    arg: "PORT",
    help: "port of the statistics page",
  },
  {
    key: "zeroconf",
    flag: "--zeroconf",
    kind: { type: "bool" },
    help: "announce this server over DNS-SD (_distcc._tcp, with a subtype for every toolchain served) so clients with +zeroconf in DISTCC_HOSTS find it (docs/zeroconf.md)",
  },
  {
    key: "pidFile",
    flag: "--pid-file",
    short: "-P",
    kind: { type: "string" },
    arg: "FILE",
    help: "write the server's process id to FILE (removed at exit)",
  },
  {
    key: "user",
    flag: "--user",
    kind: { type: "string" },
    arg: "USER",
    help: 'started as root, run as USER (default distccd, else nobody; "root" keeps root)',
  },
  {
    key: "daemon",
    flag: "--daemon",
    kind: { type: "bool" },
    help: "run in the background (re-starts itself detached) unless --no-detach is also given",
  },
  { key: "noDetach", flag: "--no-detach", kind: { type: "bool" }, help: "stay in the foreground (the default)" },
  { key: "inetd", flag: "--inetd", kind: { type: "bool" }, help: "serve one job on stdin/stdout (ssh mode, inetd)" },
  {
    key: "compilerDirs",
    flag: "--compiler-dir",
    kind: { type: "list" },
    arg: "DIR",
    help: "also look for compilers in DIR (repeatable)",
  },
  {
    key: "tempDir",
    flag: "--temp-dir",
    kind: { type: "string" },
    arg: "DIR",
    help: "where job folders are made (default /dev/shm when it is a writable tmpfs with 1 GiB free, else $TMPDIR or /tmp)",
  },
  {
    key: "noPipe",
    flag: "--no-pipe",
    kind: { type: "bool" },
    help: "do not add -pipe to gcc/clang compiles (default: added, same objects, no temporary .s file)",
  },
  {
    key: "cacheFile",
    flag: "--cache-file",
    kind: { type: "string" },
    arg: "FILE",
    help: "remember compiler probes here (default $XDG_CACHE_HOME/distcc-server/compilers.json)",
  },
  {
    key: "cacheDir",
    flag: "--cache-dir",
    kind: { type: "string" },
    arg: "DIR",
    help: "keep the pump header cache in DIR (made 0700, kept across restarts; default: in memory)",
  },
  {
    key: "cacheSize",
    flag: "--cache-size",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "MB",
    help: "bound of the pump header cache, least recently used out first (0 = no header cache)",
  },
  // Isolation and limits (docs/server.md, "Sandbox and limits").
  {
    key: "sandbox",
    flag: "--sandbox",
    kind: { type: "enum", values: SANDBOX_MODES },
    arg: "MODE",
    help: "run each compiler in a bubblewrap sandbox: auto (when bwrap works here, else a warning), bwrap (required) or none",
  },
  {
    key: "maxCompilerMemory",
    flag: "--max-compiler-memory",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "MB",
    help: "address space of each compiler process (RLIMIT_AS; 0 = no limit)",
  },
  {
    key: "maxCompilerOutput",
    flag: "--max-compiler-output",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "MB",
    help: "size of each file a compiler writes: object, .d, stdout, stderr (RLIMIT_FSIZE; 0 = no limit)",
  },
  {
    key: "maxCompilerCpu",
    flag: "--max-compiler-cpu",
    kind: { type: "int", min: 0, max: 86_400 },
    arg: "SECONDS",
    help: "CPU time of each compiler process (RLIMIT_CPU; 0 = no limit)",
  },
  {
    key: "maxJobProcesses",
    flag: "--max-job-processes",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "N",
    help: "processes of one job alive at once, all together (a cgroup per job, else RLIMIT_NPROC of the server's user; 0 = no limit)",
  },
  {
    key: "maxJobMemory",
    flag: "--max-job-memory",
    kind: { type: "int", min: 0, max: 1_048_576 },
    arg: "MB",
    help: "memory of one job's processes together (a cgroup per job, where the server can make one; 0 = no limit)",
  },
  {
    key: "maxClientConnections",
    flag: "--max-client-connections",
    kind: { type: "int", min: 1, max: 65_535 },
    arg: "N",
    help: "connections open at once from one client address; beyond, new ones are closed",
  },
  {
    key: "maxClientQueue",
    flag: "--max-client-queue",
    kind: { type: "int", min: 0, max: 65_535 },
    arg: "N",
    help: "requests of one client address waiting for a compile slot; beyond, refused",
  },
  {
    key: "maxClientJobs",
    flag: "--max-client-jobs",
    kind: { type: "int", min: 0, max: 1024 },
    arg: "N",
    help: "compile slots one client address may hold at once, so that others find one free (0 = every slot); whatever the cap, a freed slot goes to the waiting address running fewest",
  },
  {
    key: "config",
    flag: "--config",
    short: "-c",
    kind: { type: "string" },
    arg: "FILE",
    help: "read settings from a JSON file (flags win over it)",
    flagOnly: true,
  },
  { key: "help", flag: "--help", short: "-h", kind: { type: "bool" }, help: "show this help", flagOnly: true },
  { key: "version", flag: "--version", kind: { type: "bool" }, help: "show the version", flagOnly: true },
];

/** Built-in defaults (before the config file and the flags): SERVER_DEFAULTS, and this machine's job count. */
export function defaultSettings(): Settings {
  return { ...SERVER_DEFAULTS, jobs: defaultJobs(), allow: [], compilerDirs: [] };
}

/** "jobs" -> "an integer from 1 to 1024": the sentence used by flag and config errors. */
export function describeKind(kind: Kind): string {
  switch (kind.type) {
    case "int":
      return `an integer from ${kind.min} to ${kind.max}`;
    case "string":
      return "a non-empty string";
    case "list":
      return "a list of non-empty strings";
    case "bool":
      return "true or false";
    case "enum":
      return `one of ${kind.values.join(", ")}`;
  }
}
