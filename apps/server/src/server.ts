// The server's accept loop and connection table, kept whole though long: the caps, eviction at the
// global cap, the memory budget and shutdown all act on the same table. One job is serve-job.ts.
import type { HeaderStore } from "./header-store.js";
import { EXIT_ACCESS_DENIED, EXIT_BUSY, EXIT_DISTCC_FAILED } from "@x/distcc-protocol";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import type { Duplex } from "node:stream";
import type { DecoderLimits } from "@x/distcc-protocol";
import { ToolchainIndex, type DiscoverOptions } from "@x/distcc-toolchain";
import { AllowList, LOOPBACK_RANGES, PRIVATE_RANGES } from "./allow-list.js";
import { showPeer } from "./client-address.js";
import { CmdListWhitelist } from "./cmdlist-whitelist.js";
import { DistccServerError } from "./errors.js";
import type { JobContext } from "./job-context.js";
import { formatJobSummary, type JobSummary } from "./job-result.js";
import { defaultTempDir, JobFolders } from "./job-folder.js";
import { JobSlots } from "./job-slots.js";
import { JobStop } from "./job-stop.js";
import { inlineLauncher, type ProcessLimits } from "./launcher.js";
import { DEFAULT_TREE_BOUNDS } from "./pump-tree.js";
import { chooseSandbox, SandboxUnavailableError, type SandboxMode, type SandboxState } from "./sandbox.js";
import { clientAddress } from "./serve-job.js";
import { NativeLauncher } from "./native-launcher.js";
import { chooseJobBounds, describeJobBounds } from "./job-bounds.js";
import { SERVER_OPTION_DEFAULTS } from "./defaults.js";
import { effectiveOptions, type EffectiveOptions } from "./effective-options.js";
import type { JobBounds } from "./job-cgroup.js";
import { MemoryBudget } from "./memory-budget.js";
import { silentLogger, type Logger } from "./logger.js";
import { serveJob, type JobHooks } from "./serve-job.js";
import { createStatsServer } from "./stats-http.js";
import { ServerStats, type StatsSnapshot } from "./stats.js";
import type { CompilerWhitelist } from "./whitelist.js";
import { logWhitelist } from "./whitelist-log.js";

/** Every option left out takes its value from SERVER_OPTION_DEFAULTS (defaults.ts), as the CLI's flags do. */
export interface ServerOptions {
  /** TCP port (0 = a free port, see `address`). */
  port?: number;
  /** Address to bind (default: all addresses, "::" with IPv4 mapped, as distccd). */
  listen?: string;
  /** Allowed client addresses, `IP[/BITS]`. Default (none given, no allowPrivate): loopback only. */
  allow?: readonly string[];
  /** Add distccd's private ranges to `allow`. */
  allowPrivate?: boolean;
  /** Compiles at once (default: CPUs + 2). */
  jobs?: number;
  /** Connections open at once; more are closed at accept. */
  maxConnections?: number;
  /** Complete requests waiting for a slot; more are refused, REJ_OVERLOAD. */
  maxQueue?: number;
  /** Drop a client silent for this long while sending its request. */
  readTimeoutMs?: number;
  /** Drop a client whose request takes longer than this in total. */
  requestTimeoutMs?: number;
  /** Kill a job (pump tree and compile) after this long (0 = never). */
  jobLifetimeMs?: number;
  /** Isolate each compile with bubblewrap: auto (default; bwrap when it works here, else a warning),
   *  bwrap (refuse to start without it) or none. */
  sandbox?: SandboxMode;
  /** bubblewrap's path (default: /usr/bin/bwrap, /bin/bwrap or /usr/local/bin/bwrap). */
  bwrapPath?: string;
  /** setrlimit on each compiler process: address space, CPU time, size of each file written (0 = none). */
  compilerLimits?: ProcessLimits;
  /** Bounds of a whole job, all its processes together (processes, MiB; 0 = none):
   *  a cgroup per job where the server can make one, else RLIMIT_NPROC (see job-bounds.ts). */
  jobBounds?: Partial<JobBounds>;
  /** The user the server will become after start (--user): it makes the job cgroups then. */
  runAs?: { uid: number; gid: number };
  /** Connections open at once from one client address; more are closed at accept (by default an
   *  eighth of maxConnections, so eight addresses are needed to fill the server; a make -j of one
   *  client beyond its compile slots only queues anyway). */
  maxConnectionsPerClient?: number;
  /** Requests of one client address waiting for a slot; more are refused. */
  maxQueuePerClient?: number;
  /** Compile slots one client address may hold at once (default: every slot, so one client alone
   *  is never slowed). Whatever the cap, a freed slot goes to the waiting address running fewest. */
  maxJobsPerClient?: number;
  /** Drop a connection whose command line is not complete after this long. */
  headerTimeoutMs?: number;
  /** Drop a connection whose body header (DOTI, NFIL) is not complete this long after its command
   *  line: distcc preprocesses in between. */
  bodyStartTimeoutMs?: number;
  /** Where job folders are made (default /dev/shm when it is a writable tmpfs, else os.tmpdir()).
   *  On a tmpfs (or ramfs) a job's file operations are synchronous, which costs less CPU. */
  tempDir?: string;
  /** Add `-pipe` to GCC/Clang compiles that lack it: no temporary `.s` file, the same object
   *  (default true). */
  pipe?: boolean;
  logger?: Logger;
  /** Serve statistics over HTTP on this port (0 = a free port). Undefined = no stats server. */
  statsPort?: number;
  /** The whitelist. Default: `ToolchainIndex.discover(discover)`. */
  whitelist?: CompilerWhitelist;
  /** Options for the default discovery (PATH/DISTCCD_PATH dirs, extra dirs, masquerade dir). */
  discover?: DiscoverOptions;
  /** distccd's DISTCC_CMDLIST: only the compilers listed in this file run (replaces discovery). */
  cmdList?: { file: string; words?: number };
  /** Bounds on request fields (SERVER_LIMITS, then the protocol package's defaults). */
  limits?: Partial<DecoderLimits>;
  /** Bytes all requests together may hold while read or waiting, and answers while sent. */
  maxRequestMemory?: number;
  /** Bytes of that budget one client address may hold (default: half of maxRequestMemory). */
  maxRequestMemoryPerClient?: number;
  /** When the budget is full, holders idle this long (a trickled request, an unread answer) are
   *  dropped, biggest first, before a newcomer is refused. */
  memoryEvictIdleMs?: number;
  /** Once a request's body has started, it must arrive at this many bytes per second on average
   *  over each `requestRateWindowMs` (0 = no minimum). */
  minRequestRate?: number;
  /** The window of `minRequestRate`. */
  requestRateWindowMs?: number;
  /** Drop a client that takes nothing of its answer for this long (default: readTimeoutMs). */
  sendTimeoutMs?: number;
  /** Environment of the compilers (default: process.env, PATH replaced by DISTCCD_PATH if set). */
  compilerEnv?: NodeJS.ProcessEnv;
  /** Start compilers from a tiny C helper built at first use with the host's `cc` (falls back to
   *  spawning from this process if it cannot be built): about 1 MB, and the server no longer forks
   *  its own heap per compile (default true; false: spawn from this process, as the fallback does). */
  nativeSpawn?: boolean;
  /** Called after every connection with its summary (also logged at notice). */
  onJob?: (summary: JobSummary) => void;
  /**
   * The header cache of pump requests from clients of ours (docs/protocol-extensions.md, "Header
   * cache"). Undefined: none (the `headers` feature is not announced). The CLI opens it after
   * dropping privileges and hands it over with `setHeaderStore`.
   */
  headerStore?: HeaderStore;
}

/**
 * Per-request bounds tighter than the protocol package's generic defaults: real preprocessed
 * sources reach tens of MB, never hundreds (the server-wide budget bounds the sum).
 */
export const SERVER_LIMITS: Partial<DecoderLimits> = {
  // A pump entry costs the server ~0.1 ms of CPU to write (100,000 took 10 s); real requests have
  // a few thousand. Names longer than PATH_MAX cannot be opened by a compiler anyway.
  maxFiles: 32_768,
  maxNameLength: 4096,
  maxPayload: 128 << 20,
  maxDecompressed: 256 << 20,
  maxTotal: 512 << 20,
};

export interface CloseOptions {
  /** Let running jobs finish for this long, then kill them (default SERVER_OPTION_DEFAULTS.closeGraceMs). */
  graceMs?: number;
}

export interface DistccServer {
  /** Where the compile port listens. */
  readonly address: AddressInfo;
  /** Where the stats port listens, if enabled. */
  readonly statsAddress: AddressInfo | undefined;
  /** Where job folders are made (the option, or the default chosen at start). */
  readonly tempDir: string;
  /** The numbers it runs with: the options given, SERVER_OPTION_DEFAULTS for the rest. */
  readonly effective: Readonly<EffectiveOptions>;
  /** How compiles are isolated: bwrap, none (asked), unavailable (auto, bwrap does not work). */
  readonly sandbox: SandboxState;
  /** The compilers it serves (what `--zeroconf` advertises). */
  readonly whitelist: CompilerWhitelist;
  /** A copy of the counters. */
  stats(): StatsSnapshot;
  /** Serves one job on any duplex stream (inetd/ssh mode: stdin+stdout). */
  serveStream(stream: Duplex, client?: string): Promise<JobSummary>;
  /** Stops accepting, lets running jobs finish (bounded by graceMs), then closes everything. */
  close(options?: CloseOptions): Promise<void>;
  /** Replaces who may connect (compile and stats ports), e.g. on a config reload; open connections stay. */
  setAllow(options: Pick<ServerOptions, "allow" | "allowPrivate">): void;
  /** Sets (or removes) the header cache; jobs that start later use it. */
  setHeaderStore(store: HeaderStore | undefined): void;
}

function listen(
  server: Server,
  port: number,
  host: string | undefined,
  flag: "--port" | "--stats-port",
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const why =
        err.code === "EADDRINUSE"
          ? `the port is already in use (another distccd or distcc-server?); stop it or choose another with ${flag}`
          : err.message;
      reject(
        new DistccServerError("DISTCC_SERVER_ERR_LISTEN", `cannot listen on ${host ?? "*"}:${port}: ${why}`, {
          cause: err,
        }),
      );
    };
    server.once("error", onError);
    server.listen({ port, host, backlog: 1024 }, () => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** One accepted connection, as the connection caps see it. */
interface LiveConnection {
  socket: Socket;
  client: string;
  address: string;
  /** Still before the header of its body (DOTI, NFIL): it costs the server nothing yet. */
  cheap: boolean;
  /** Connections of its address when it was picked (for the log line). */
  count: number;
}

/**
 * The connection to close for a newcomer when every place is taken: of those that have not started
 * their body (before their command line, or after it but before the DOTI/NFIL header), one of the
 * address holding most connections, the oldest of it (a Set iterates in insertion order).
 * undefined when every connection has started its body.
 *
 * Issue 14, H5: taking only connections before their command line was bypassed by sending the
 * command line at once and then a byte of DOTI's header every 20 s.
 */
function cheapVictim(
  live: Iterable<LiveConnection>,
  openByClient: ReadonlyMap<string, number>,
): LiveConnection | undefined {
  let victim: LiveConnection | undefined;
  let most = 0;
  for (const conn of live) {
    if (!conn.cheap) continue;
    const count = openByClient.get(conn.address) ?? 0;
    if (count > most) {
      victim = conn;
      most = count;
    }
  }
  if (victim) victim.count = most;
  return victim;
}

/** The allow list the options describe (loopback only when nothing was said). */
export function allowListFor(options: Pick<ServerOptions, "allow" | "allowPrivate">): AllowList {
  const entries = [...(options.allow ?? []), ...(options.allowPrivate ? PRIVATE_RANGES : [])];
  return new AllowList(entries.length > 0 ? entries : LOOPBACK_RANGES);
}

function defaultCompilerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, _DISTCC_SAFEGUARD: "1" };
  if (process.env.DISTCCD_PATH) env.PATH = process.env.DISTCCD_PATH;
  return env;
}

/** The job-serving core without a listener (used by startServer and by inetd mode). */
export interface JobService {
  readonly allow: AllowList;
  readonly whitelist: CompilerWhitelist;
  readonly tempDir: string;
  readonly effective: Readonly<EffectiveOptions>;
  readonly sandbox: SandboxState;
  readonly stats: ServerStats;
  /** Serves one job on a duplex stream (the caller checked the allow list). */
  serveStream(stream: Duplex, client?: string, hooks?: JobHooks): Promise<JobSummary>;
  /** Open streams now. */
  readonly openCount: number;
  report(summary: JobSummary): JobSummary;
  /** Waits for running jobs (killing them after graceMs), then destroys what is left. */
  drain(graceMs: number): Promise<void>;
  /** Sets (or removes) the header cache; jobs that start later use it. */
  setHeaderStore(store: HeaderStore | undefined): void;
}

/** Builds the job service: discovers compilers (unless a whitelist is given), slots, stats. */
export async function createJobService(options: ServerOptions = {}): Promise<JobService> {
  const logger = options.logger ?? silentLogger;
  const allow = allowListFor(options);
  const effective = effectiveOptions(options);
  const { jobs } = effective;
  const slots = new JobSlots(jobs, effective.maxQueue, effective.maxQueuePerClient, effective.maxJobsPerClient);
  const tempDir = options.tempDir ?? defaultTempDir();
  const folders = new JobFolders(tempDir);
  try {
    await folders.check();
  } catch (err) {
    throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", (err as Error).message);
  }
  // What a server of this temp dir and user that died (kill -9) left behind.
  const stale = await folders.removeStale();
  if (stale.length > 0)
    logger.log("notice", "main", `removed ${stale.length} job folder(s) left in ${tempDir} by a server that is gone`);
  const sandboxMode = effective.sandbox;
  // The sandbox probe (a bwrap run) and the compiler discovery run side by side.
  const choosing = chooseSandbox(sandboxMode, tempDir, options.bwrapPath).then(
    (choice) => ({ choice }),
    (err: unknown) => ({ err }),
  );
  const whitelist =
    options.whitelist ??
    (options.cmdList
      ? new CmdListWhitelist(options.cmdList.file, options.cmdList.words)
      : await ToolchainIndex.discover(options.discover ?? {}));
  const chosen = await choosing;
  if ("err" in chosen) {
    if (chosen.err instanceof SandboxUnavailableError)
      throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", chosen.err.message);
    throw chosen.err;
  }
  const sandbox = chosen.choice;
  if (sandbox.warning) logger.log("warning", "main", sandbox.warning);
  else if (sandbox.sandbox)
    logger.log(
      "notice",
      "main",
      `each compile runs in a bubblewrap sandbox (${sandbox.sandbox.bwrap}): read-only system, its job folder only, no network`,
    );
  logWhitelist(logger, whitelist);
  // Every running job listens on it.
  const shutdown = new JobStop();
  const open = new Set<Socket | Duplex>();
  const running = new Set<Promise<JobSummary>>();
  const memory = new MemoryBudget(
    effective.maxRequestMemory,
    effective.maxRequestMemoryPerClient,
    effective.memoryEvictIdleMs,
  );
  const stats = new ServerStats(
    () => ({
      running: slots.running,
      queued: slots.queued,
      connections: open.size,
      memory: { used: memory.inUse, capacity: memory.capacity, perClient: memory.perClient },
    }),
    jobs,
  );
  stats.setSandbox({
    mode: sandboxMode,
    state: sandbox.state,
    ...(sandbox.warning ? { warning: sandbox.warning } : {}),
  });

  const { minRequestRate, requestRateWindowMs: rateWindowMs } = effective;
  // A copy: the RLIMIT_NPROC fallback of the job bounds is added to it.
  const compilerLimits: ProcessLimits = { ...effective.compilerLimits };
  const bounds = await chooseJobBounds({ ...effective.jobBounds }, jobs, options.runAs);
  logger.log(bounds.kind === "none" && bounds.note ? "warning" : "notice", "main", describeJobBounds(bounds));
  stats.setJobBounds({
    kind: bounds.kind,
    processes: bounds.bounds.processes,
    memoryMiB: bounds.bounds.memoryMiB,
    ...(bounds.note ? { note: bounds.note } : {}),
  });
  if (bounds.userProcesses) compilerLimits.userProcesses = bounds.userProcesses;

  const spawnFallback = (reason: string): void =>
    logger.log(
      "warning",
      "spawn",
      `the spawn helper cannot run (${reason}); compilers start from the server process instead`,
    );
  const ctx: JobContext = {
    folders,
    addPipe: effective.pipe,
    slots,
    whitelist,
    logger,
    limits: { ...SERVER_LIMITS, ...options.limits },
    memory,
    launcher: !effective.nativeSpawn
      ? inlineLauncher
      : new NativeLauncher(options.tempDir ?? tmpdir(), undefined, spawnFallback),
    readTimeoutMs: effective.readTimeoutMs,
    requestTimeoutMs: effective.requestTimeoutMs,
    ...(minRequestRate > 0
      ? { minBodyRate: { bytes: Math.ceil((minRequestRate * rateWindowMs) / 1000), windowMs: rateWindowMs } }
      : {}),
    sendTimeoutMs: effective.sendTimeoutMs,
    jobLifetimeMs: effective.jobLifetimeMs,
    compilerEnv: options.compilerEnv ?? defaultCompilerEnv(),
    shutdown,
    ...(sandbox.sandbox ? { sandbox: sandbox.sandbox } : {}),
    compilerLimits,
    ...(bounds.cgroups ? { jobCgroups: bounds.cgroups } : {}),
    headerTimeoutMs: effective.headerTimeoutMs,
    bodyStartTimeoutMs: effective.bodyStartTimeoutMs,
    treeBounds: DEFAULT_TREE_BOUNDS,
    ...(options.headerStore ? { headerStore: options.headerStore } : {}),
  };

  const report = (summary: JobSummary): JobSummary => {
    stats.record(summary);
    try {
      logger.log("notice", "job_summary", formatJobSummary(summary));
      options.onJob?.(summary);
    } catch {
      // Whatever an embedder's logger or callback throws, it must not take the server down; that
      // logger is what would report it, so it is dropped here on purpose.
    }
    return summary;
  };

  const serveStream = (stream: Duplex, client = "stdin", hooks?: JobHooks): Promise<JobSummary> => {
    open.add(stream);
    const job = serveJob(stream, client, ctx, hooks).then(report, (err: unknown) =>
      // serveJob does not throw; if it ever does, the server must survive it.
      report({
        result: "OTHER",
        reason: `internal error: ${(err as Error).message}`,
        client,
        status: 0,
        ret: EXIT_DISTCC_FAILED,
        timeMs: 0,
        compileMs: 0,
        bytesIn: 0,
        bytesOut: 0,
      }),
    );
    running.add(job);
    void job.finally(() => {
      running.delete(job);
      open.delete(stream);
      if (!stream.destroyed) {
        // The response is out and our side ended; do not wait forever for the client's FIN.
        setTimeout(() => stream.destroy(), 10_000).unref();
      }
    });
    return job;
  };

  const drain = async (graceMs: number): Promise<void> => {
    const timer = setTimeout(() => {
      shutdown.stop();
      for (const stream of open) stream.destroy();
    }, graceMs);
    await Promise.allSettled([...running]);
    clearTimeout(timer);
    shutdown.stop();
    for (const stream of open) stream.destroy();
    ctx.launcher.close();
    await bounds.cgroups?.close();
    stats.close();
  };

  return {
    allow,
    whitelist,
    tempDir,
    effective,
    sandbox: sandbox.state,
    stats,
    serveStream,
    get openCount() {
      return open.size;
    },
    report,
    drain,
    setHeaderStore: (store) => {
      if (store) ctx.headerStore = store;
      else delete ctx.headerStore;
    },
  };
}

/**
 * Starts a distcc server: discovers the compilers (the whitelist), listens, serves jobs. Resolves
 * once it accepts connections.
 */
export async function startServer(options: ServerOptions = {}): Promise<DistccServer> {
  const service = await createJobService(options);
  const { allow, stats, report, serveStream, tempDir, effective } = service;
  const logger = options.logger ?? silentLogger;
  const { maxConnections, maxConnectionsPerClient: maxPerClient } = effective;
  const openByClient = new Map<string, number>();
  const live = new Set<LiveConnection>();
  const forget = (conn: LiveConnection): void => {
    if (!live.delete(conn)) return;
    const n = (openByClient.get(conn.address) ?? 1) - 1;
    if (n <= 0) openByClient.delete(conn.address);
    else openByClient.set(conn.address, n);
  };
  const refuse = (socket: Socket, client: string, reason: string): void => {
    socket.resetAndDestroy();
    report({
      result: "REJ_OVERLOAD",
      reason,
      client,
      status: 0,
      ret: EXIT_BUSY,
      timeMs: 0,
      compileMs: 0,
      bytesIn: 0,
      bytesOut: 0,
    });
  };

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    const client = showPeer(socket.remoteAddress, socket.remotePort);
    socket.on("error", () => {});
    if (!allow.allows(socket.remoteAddress)) {
      logger.log("warning", "check_client", `refused connection from ${client}: not in the --allow list`);
      socket.resetAndDestroy();
      report({
        result: "OTHER",
        reason: "access denied: address not in --allow list",
        client,
        status: 0,
        ret: EXIT_ACCESS_DENIED,
        timeMs: 0,
        compileMs: 0,
        bytesIn: 0,
        bytesOut: 0,
      });
      return;
    }
    const address = clientAddress(client);
    // The address's own cap first: an address at its cap must not push anybody else out.
    const mine = openByClient.get(address) ?? 0;
    if (mine >= maxPerClient) {
      refuse(socket, client, `${maxPerClient} connections from ${address} already open (--max-client-connections)`);
      return;
    }
    if (live.size >= maxConnections) {
      // Issue 14, A7: four addresses at their caps filled the server and every other client was
      // refused at accept for as long as they liked. A connection that has not even started its
      // body has cost nothing yet: the newest comer takes its place.
      const victim = cheapVictim(live, openByClient);
      if (!victim) {
        refuse(
          socket,
          client,
          `${maxConnections} connections already open, all of them past the start of their request body`,
        );
        return;
      }
      forget(victim);
      logger.log(
        "warning",
        "check_client",
        `${maxConnections} connections open: closed ${victim.client} (its request body not started, one of ${victim.count} from ${victim.address}) for ${client}`,
      );
      victim.socket.destroy(
        new Error(
          `evicted: ${maxConnections} connections open (--max-connections) and this one had not started its request body`,
        ),
      );
    }
    const conn: LiveConnection = { socket, client, address, cheap: true, count: 0 };
    live.add(conn);
    openByClient.set(address, mine + 1);
    stats.accepted();
    socket.setNoDelay(true);
    const hooks: JobHooks = { onBodyStart: () => (conn.cheap = false) };
    void serveStream(socket, client, hooks).finally(() => forget(conn));
  });
  server.on("error", (err) => logger.log("error", "listener", err.message));

  const address = await listen(server, effective.port, options.listen, "--port");
  let statsServer: Server | undefined;
  let statsAddress: AddressInfo | undefined;
  if (options.statsPort !== undefined) {
    statsServer = createStatsServer({ stats, allow, tempDir });
    try {
      statsAddress = await listen(statsServer, options.statsPort, options.listen, "--stats-port");
    } catch (err) {
      server.close();
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing ??= (async () => {
      const graceMs = closeOptions.graceMs ?? SERVER_OPTION_DEFAULTS.closeGraceMs;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      statsServer?.close();
      await service.drain(graceMs);
      await stopped;
    })();
    return closing;
  };

  return {
    address,
    statsAddress,
    tempDir,
    effective,
    sandbox: service.sandbox,
    whitelist: service.whitelist,
    stats: () => stats.snapshot(),
    serveStream,
    close,
    setAllow: (next) => allow.replaceWith(allowListFor(next)),
    setHeaderStore: service.setHeaderStore,
  };
}
