import { EXIT_COMPILER_MISSING, EXIT_IO_ERROR, EXIT_NO_HOSTS, EXIT_RECURSION } from "@x/distcc-protocol";
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import { readFileSync, unlinkSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { readFile, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import {
  sendCompileJob,
  toWireIdentity,
  parseWaitStatus,
  statusToExitCode,
  type CompileResponse,
  type ProtocolVersion,
  type RequestExtension,
} from "@x/distcc-protocol";
import type { HostEntry, HostList } from "@x/distcc-hosts";
import {
  describeLocalReason,
  directivesOnlyBlocker,
  placeDependentWord,
  preprocessedExtension,
  preprocessorArgv,
  scanArgs,
  serverArgv,
  withPreprocessMode,
  type DistributableScan,
  type PreprocessMode,
} from "@x/distcc-toolchain";
import { classifyInvocation, safeguardLevel, type Invocation } from "../invocation.js";
import { clientOptions, type ClientOptions } from "../env-options.js";
import { runCommand } from "../commands.js";
import { LAUNCHER_GONE, type JobConnection } from "./agent-server.js";
import type { AgentState } from "./agent-state.js";
import { describeHostFailure } from "./host-failure.js";
import { probeUnconnectedHost } from "./unconnected-probe.js";
import { checkLogFile, loadHosts, sayBackedOffHosts, sayHostFailed, sayStartupProblems } from "./job-notices.js";
import { errorMessage, isErrno } from "../errno.js";
import { JobOutput } from "./job-output.js";

import { LOCAL_ID, tcpHostId, type Lease, type PlacementDriver } from "./placement.js";
import type { JobInfo } from "@x/distcc-scheduler";
import { compileLocalCopy, type LocalCopyResult } from "./local-copy.js";
import { writeCompileOutput } from "./write-output.js";
import { isOpenersOwnPath } from "./output-target.js";
import { sideOutputOption } from "./side-outputs.js";
import { preparePreprocessedRun } from "./local-preprocessed.js";
import { rewriteForServer, type ToolchainRewrite } from "./toolchain-rewrite.js";
import { checkReturnedObject } from "./object-check.js";
import { peerMemoryFor, type PeerMemory } from "./peer-memory.js";
import { planPump, type PumpPlan } from "./pump-plan.js";
import { withHeaderRefs } from "./header-refs.js";


type CompileInvocation = Extract<Invocation, { kind: "compile" }>;

interface PreprocessResult {
  /** Exit code (128 + signal when killed). */
  code: number;
  output: Buffer;
  stderr: Buffer;
  /** How it was preprocessed: the compile of `output` needs `withPreprocessMode(argv, mode)`. */
  mode: PreprocessMode;
}
type TcpHost = Extract<HostEntry, { kind: "tcp" }>;

interface JobContext {
  job: JobConnection;
  state: AgentState;
  opts: ClientOptions;
  out: JobOutput;
  cwd: string;
  env: Record<string, string>;
  inv: CompileInvocation;
  compilerPath: string;
  /** Variables every child (cpp, local compiler) gets: the recursion guard, the cut PATH. */
  childEnv: Record<string, string>;
}

/** Handles one launcher: a client command, a local run, or the remote pipeline. */
export async function handleJob(job: JobConnection, state: AgentState): Promise<void> {
  const { request } = job;
  const env = request.env;
  const opts = clientOptions(env, request.cwd);
  const out = new JobOutput(job, opts);
  const notices = { state, out, opts, env };
  checkLogFile(notices);
  sayStartupProblems(notices);
  const inv = classifyInvocation(request.argv, env, request.cwd);
  if (inv.kind === "command") {
    const result = await runCommand(inv.command, inv.args, env, { cwd: request.cwd });
    out.stdout(Buffer.from(result.stdout));
    out.stderr(result.stderr);
    out.exit(result.code);
    return;
  }
  const level = safeguardLevel(env);
  const compilerPath = state.findCompilerCached(inv.compilerName, inv.path, request.cwd, [request.self, ...state.selfPaths]);
  if (!compilerPath) {
    // distcc says "failed to exec" (its test suite and scripts look for those words).
    out.stderr(`distcc-client: failed to exec ${inv.compilerName}: compiler not found on PATH\n`);
    out.exit(EXIT_COMPILER_MISSING);
    return;
  }
  const childEnv: Record<string, string> = { _DISTCC_SAFEGUARD: String(level + 1) };
  if (inv.pathWasCut) childEnv.PATH = inv.path;
  const ctx: JobContext = { job, state, opts, out, cwd: request.cwd, env, inv, compilerPath, childEnv };
  const userArgv = [inv.compilerName, ...inv.args];

  if (level > 0) {
    // Recursion guard (spec 9.1): a child of ours never distributes, and never takes a slot.
    if (level - (inv.pathWasCut ? 1 : 0) > 0) {
      out.stderr("distcc-client: distcc seems to have invoked itself recursively!\n");
      out.exit(EXIT_RECURSION);
      return;
    }
    await runLocally(ctx, userArgv, undefined);
    return;
  }

  const hosts = await loadHosts(notices);
  // An empty list with DISTCC_FALLBACK=0 goes on: a link still runs here, a compile fails (distcc's order).
  if (!hosts || (hosts.hosts.length === 0 && opts.fallback)) {
    const done = state.monitor.unplacedJob();
    try {
      await runLocally(ctx, userArgv, await takeLocalSlot(ctx));
    } finally {
      done();
    }
    return;
  }
  const scan = scanArgs(userArgv, { cwd: ctx.cwd, env });
  if (!scan.distributable) {
    out.debug(`${userArgv.join(" ")}: ${describeLocalReason(scan.reason)}: running locally`);
    await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
    return;
  }
  const writtenOnlyHere = filesOnlyALocalCompileWrites(ctx.cwd, scan);
  if (writtenOnlyHere) {
    out.debug(`${scan.input}: ${writtenOnlyHere}: running locally`);
    await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
    return;
  }
  const remotes = hosts.hosts.filter((h): h is TcpHost => h.kind === "tcp" && !h.down);
  if (hosts.hosts.some((h) => h.kind === "ssh")) {
    state.once("ssh", () => out.warn("ssh hosts (@host) are not supported by distcc-client yet; they are skipped"));
  }
  if (remotes.length === 0) {
    if (!opts.fallback && !hosts.hosts.some((h) => h.kind === "local")) return failNoHosts(ctx, scan.input);
    await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
    return;
  }

  const rewrite = await rewriteForServer(ctx.state.recentIdentities, ctx.compilerPath, scan.argv[0] ?? inv.compilerName, scan.argv, {
    noRewrite: opts.noRewriteCross,
  });
  if (rewrite.note) out.debug(rewrite.note); // what is added per host is said with each send
  const wireCompiler = rewrite.name;

  // Pump mode for `,cpp` hosts: no preprocessing here, the files it would read go instead.
  const pump = await planPumpJob(ctx, scan, rewrite, remotes);
  if (job.signal.aborted) return;
  if (pump) {
    const driver = ctx.state.placement(hosts, env, opts);
    const plainHosts = remotes.filter((h) => !h.cpp).map(hostKey);
    const excluded = driver.localIsAPlace ? plainHosts : [LOCAL_ID, ...plainHosts];
    // A straggler's copy here would need this job preprocessed here: copies go to other helpers only.
    const info: JobInfo = { inputBytes: pump.inputBytes, language: scan.language, compiler: wireCompiler, noLocalCopy: true, ...(excluded.length > 0 ? { excluded } : {}) };
    const first = await driver.submit(info, job.signal);
    await runAttempts({ ctx, scan, hosts, remotes: remotes.filter((h) => h.cpp), rewrite, pump, driver, jobId: first.jobId }, first.lease);
    return;
  }

  // Local preprocessing first, under a cpp slot; the helper's slot is taken only once we can send.
  let cpp: PreprocessResult | undefined;
  try {
    cpp = scan.preprocessed ? await readPreprocessed(ctx, scan.input) : await preprocessToSend(ctx, scan, rewrite, hosts.localSlotsCpp);
  } catch (err) {
    if (!(err instanceof PreprocessedOutputError)) throw err;
    // Nothing to send (never an empty source): this machine compiles it, as after a helper's failure.
    if (!opts.fallback) return failNoHosts(ctx, scan.input, err.message);
    out.warn(`${err.message}; compiling ${basename(scan.input)} locally`);
    await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
    return;
  }
  if (!cpp || job.signal.aborted) return;
  if (cpp.code !== 0) {
    // The preprocessor's verdict is the compiler's, but not always in its words (`-E` reports a
    // dependency file it cannot open without the column and the caret): the local compile says it.
    if (opts.fallback && !opts.skipLocalRetry) {
      out.debug(`${scan.input}: preprocessing failed (exit ${cpp.code}): compiling locally for the compiler's own messages`);
      await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
      return;
    }
    out.stderr(cpp.stderr);
    out.exit(cpp.code);
    return;
  }
  if (opts.saveTemps) {
    const kept = resolve(opts.tmpDir, `distcc_${randomBytes(4).toString("hex")}${preprocessedExtension(scan.input)}`);
    // Private (the user's source) and never through a link someone planted at the name.
    await writeFile(kept, cpp.output, { flag: "wx", mode: 0o600 }).then(
      () => out.debug(`kept preprocessed source in ${kept}`),
      (err: unknown) => out.warn(`DISTCC_SAVE_TEMPS: cannot keep the preprocessed source: ${errorMessage(err)}`),
    );
  }

  const driver = ctx.state.placement(hosts, env, opts);
  sayBackedOffHosts(notices, driver, remotes);
  // The driver decides whether this machine is a place (`localCountsAsPlace`: always with the default
  // policy, only when the list names localhost with distcc's order, never with DISTCC_FALLBACK=0).
  const localIsAPlace = driver.localIsAPlace;
  const info: JobInfo = {
    inputBytes: cpp.output.length,
    language: scan.language,
    compiler: wireCompiler,
    ...(localIsAPlace ? {} : { excluded: [LOCAL_ID] }),
  };
  const first = await driver.submit(info, job.signal);
  await runAttempts({ ctx, scan, hosts, remotes, rewrite, cpp, driver, jobId: first.jobId }, first.lease);
}

/** Everything the attempts of one placed job share. */
type PlacedJob = PlacedCommon & ({ cpp: PreprocessResult; pump?: undefined } | { pump: PumpPlan; cpp?: undefined });

interface PlacedCommon {
  ctx: JobContext;
  scan: DistributableScan;
  hosts: HostList;
  remotes: TcpHost[];
  rewrite: ToolchainRewrite;
  driver: PlacementDriver;
  jobId: number;
}

/** How one attempt (a send to a helper, or a straggler's copy compiled here) ended. */
type AttemptResult =
  | { kind: "answered"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  | { kind: "copy-compiled"; run: LocalCopyResult; elapsedMs: number }
  | { kind: "failed"; host?: TcpHost; reason: string }
  | { kind: "stopped" };

/** Why an attempt's signal aborts (one shared reason: an abort without one builds a DOMException). */
const ATTEMPT_STOPPED: Error = Object.freeze(new Error("the attempt was stopped"));

interface Attempt {
  lease: Lease;
  result: Promise<Settled>;
}

type Settled = { attempt: Attempt; result: AttemptResult };

/**
 * Runs the job where the scheduler puts it. A lease on this machine hands the compile to the launcher
 * (exec: final). Remote attempts are the agent's own, so while one runs the scheduler may add a
 * straggler copy at another idle place (here, or another helper): the first result wins and the other
 * attempt is stopped. A failed attempt backs its host off; the job is placed again (the scheduler
 * allows 3 remote attempts, never distcc's endless loop, then this machine) unless a copy still runs.
 */
async function runAttempts(placed: PlacedJob, firstLease: Lease): Promise<void> {
  const { ctx, scan, driver, jobId } = placed;
  const { job, out } = ctx;
  const running = new Map<number, Attempt>();
  const copies: Lease[] = [];
  let copyArrived: (() => void) | undefined;
  let withdrawCopies: (() => void) | undefined;
  let settled = false;
  const start = (lease: Lease): void => {
    // Stopped when the scheduler cancels it (its job was won elsewhere) or the launcher goes away.
    // (A listener, not AbortSignal.any: that one costs more per job and keeps its sources alive.)
    const controller = new AbortController();
    const stop = (): void => controller.abort(ATTEMPT_STOPPED);
    driver.onCancel(lease, stop);
    if (job.signal.aborted) stop();
    else job.signal.addEventListener("abort", stop, { once: true });
    const signal = controller.signal;
    const attempt: Attempt = { lease, result: undefined! };
    attempt.result = runAttempt(placed, lease, signal)
      .then(
        (result): Settled => ({ attempt, result }),
        (err: unknown): Settled => ({ attempt, result: signal.aborted ? { kind: "stopped" } : { kind: "failed", reason: (err as Error).message } }),
      )
      .finally(() => job.signal.removeEventListener("abort", stop));
    running.set(lease.id, attempt);
  };
  try {
    let lease: Lease | undefined = firstLease;
    for (;;) {
      if (lease) {
        if (lease.placement.kind === "local") {
          settled = true;
          return await compileHere(placed, lease);
        }
        start(lease);
        lease = undefined;
        withdrawCopies ??= driver.acceptCopies(jobId, (copy) => {
          copies.push(copy);
          copyArrived?.();
        });
      }
      for (const copy of copies.splice(0)) {
        const late = [...running.values()].map((a) => a.lease.placeId).join(", ");
        out.debug(`${scan.input}: late on ${late}; a copy goes to ${copy.placeId} (the first result wins)`);
        start(copy);
      }
      if (running.size === 0) {
        lease = await driver.next(jobId, job.signal);
        continue;
      }
      const arrived = new Promise<undefined>((resolve) => (copyArrived = () => resolve(undefined)));
      const ended = await Promise.race([arrived, ...[...running.values()].map((a) => a.result)]);
      copyArrived = undefined;
      if (!ended) continue; // a copy to start
      const { attempt, result } = ended;
      running.delete(attempt.lease.id);
      if (job.signal.aborted) return;
      if (result.kind === "stopped") continue;
      const verdict = judge(placed, result);
      if (verdict.kind === "failed" && attempt.lease.placement.kind === "local" && running.size === 0) {
        // A copy that could not run here, and nothing else runs: compile the source here, as a retry.
        driver.finish(attempt.lease, { ok: true });
        settled = true;
        await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, placed.hosts));
        return;
      }
      if (verdict.kind === "failed") {
        driver.finish(attempt.lease, { ok: false, reason: verdict.reason });
        if (verdict.host) sayHostFailed(ctx, verdict.host, scan.input, verdict.reason);
        continue; // another attempt may still win; else the job is placed again
      }
      // The job's result: the other attempts are cancelled (the scheduler stops them through onCancel).
      // The helper's own time (compileMs) tells the scheduler how much of the exchange was the helper's.
      const serverMs = verdict.kind !== "copy" ? verdict.serverMs : undefined;
      // A helper's compile error compiled again here is that helper's failure in `summary`, not its work.
      const redone = verdict.kind === "compile-error" && retriesLocally(placed) ? `the compile failed there (exit ${statusToExitCode(verdict.response.status)}), compiled again here` : undefined;
      driver.finish(attempt.lease, { ok: true, elapsedMs: verdict.elapsedMs, ...(serverMs !== undefined ? { compileMs: serverMs } : {}) }, redone);
      settled = true;
      if (attempt.lease.duplicate) out.debug(`${scan.input}: the copy on ${attempt.lease.placeId} came first`);
      await deliver(placed, verdict);
      return;
    }
  } finally {
    withdrawCopies?.();
    if (!settled) driver.cancel(jobId);
  }
}

/** One attempt, with no effect outside the agent: what the place answered, or why it failed. */
async function runAttempt(placed: PlacedJob, lease: Lease, signal: AbortSignal): Promise<AttemptResult> {
  const { ctx, scan, remotes, rewrite, cpp } = placed;
  const started = Date.now();
  if (lease.placement.kind === "local" && !cpp) return { kind: "failed", reason: "a pump job has no preprocessed source for a copy here" };
  if (lease.placement.kind === "local" && cpp) {
    // Only a straggler's copy gets here (a job's own lease on this machine is compileHere's).
    const run = await compileLocalCopy({
      dir: ctx.state.scratchDir,
      id: ctx.state.nextTempId(),
      scan,
      preprocessed: cpp.output,
      mode: cpp.mode,
      compilerPath: ctx.compilerPath,
      cwd: ctx.cwd,
      env: { ...ctx.env, ...ctx.childEnv },
      signal,
    });
    if (!run) return { kind: "failed", reason: "this job cannot be compiled from its preprocessed source here" };
    return { kind: "copy-compiled", run, elapsedMs: Date.now() - started };
  }
  const host = remotes.find((h) => hostKey(h) === lease.placeId);
  if (!host) return { kind: "failed", reason: "not in this job's host list" };
  const { out, opts } = ctx;
  const peers = peerMemoryFor(ctx.state);
  const plan = planRequest(host, peers, rewrite, placed.pump !== undefined);
  const argv = cpp ? withPreprocessMode(serverArgv(scan, plan.version === 1 ? 1 : 2), cpp.mode) : placed.pump.argv.slice();
  argv[0] = rewrite.name;
  argv.push(...plan.extraArgs);
  if (plan.extraArgs.length) out.debug(`adding '${plan.extraArgs.join(" ")}' (the compiler's target and code-generation defaults) for ${host.spec}`);
  const how = plan.extension ? `, ours: ${plan.extension.compression}${plan.extension.identity ? ", identity" : ""}` : "";
  const payload = placed.pump ? `, ${placed.pump.files.length} files` : "";
  out.debug(`sending ${scan.input} to ${host.spec} (protocol ${plan.version}${how}${payload}): ${argv.join(" ")}`);
  let connected = false;
  // The header cache of a server of ours: references instead of the bodies it confirmed holding.
  const key = peerKey(host);
  const headerCache = placed.pump !== undefined && plan.extension !== undefined && plan.known?.kind === "ours" && plan.known.features.includes("headers");
  let held = headerCache ? ctx.state.pump.held.of(key) : undefined;
  try {
    let exchange: Awaited<ReturnType<typeof sendCompileJob>>;
    for (;;) {
      const pumpRequest = placed.pump && headerCache ? withHeaderRefs(placed.pump, held) : undefined;
      const extension = plan.extension && pumpRequest ? { ...plan.extension, headers: pumpRequest.headers } : plan.extension;
      exchange = await sendCompileJob(
        { host: host.host, port: host.port },
        cpp ? { version: plan.version, argv, source: cpp.output } : { version: 3, cwd: ctx.cwd, argv, files: pumpRequest?.files ?? placed.pump.files },
        {
          ioTimeoutMs: opts.ioTimeoutMs,
          connectTimeoutMs: opts.connectTimeoutMs,
          signal,
          ...(extension ? { extension } : {}),
          readTrailer: plan.readTrailer,
          onConnected: () => (connected = true),
        },
      );
      const answer = exchange.trailer?.headers;
      const headerSet = placed.pump?.headerSet;
      if (answer?.missing && held !== undefined) {
        // The server lost what it had confirmed (restart, eviction): nothing was compiled; again, with bodies.
        ctx.state.pump.held.forget(key, [...answer.missing, ...(headerSet ? [headerSet.set] : [])]);
        out.debug(`${host.spec} no longer holds ${answer.missing.length} header(s): sending ${scan.input} again with bodies`);
        held = undefined;
        continue;
      }
      if (headerCache && headerSet && answer?.set === headerSet.set) ctx.state.pump.held.confirm(key, headerSet);
      break;
    }
    peers.learn(peerKey(host), exchange.server, exchange.trailer);
    if (exchange.server === "ours" && plan.known?.kind !== "ours") out.debug(`${host.spec} is a distcc-ts server (${exchange.trailer?.server}): next jobs carry the compiler identity and LZ4`);
    if (exchange.trailerError) out.debug(`${host.spec}: ignoring a bad trailer: ${exchange.trailerError.message}`);
    const serverMs = exchange.serverMs !== undefined ? { serverMs: exchange.serverMs } : {};
    return { kind: "answered", host, response: exchange.response, elapsedMs: Date.now() - started, ...serverMs };
  } catch (err) {
    if (signal.aborted) {
      if (!connected) followUpUnconnected(placed, host);
      return { kind: "stopped" };
    }
    // Ours explains every refusal, and a host that compiled this compiler before has it: a silent close
    // there is a server that stopped or died, not a missing compiler.
    const knownGood = plan.known?.kind === "ours" || ctx.state.served.has(`${peerKey(host)}\0${rewrite.name}`);
    const failure = describeHostFailure(err, opts.ioTimeoutMs, { compiler: rewrite.name, knownGood });
    // An extended request closed without an answer: maybe no longer ours. Standard requests from now on.
    if (plan.extension && failure.code === "DISTCC_ERR_NO_ANSWER" && host.compression !== "lz4") peers.forget(peerKey(host));
    if (failure.code === "DISTCC_ERR_NO_ANSWER" && !knownGood) failure.reason += "; 'distcc-client doctor' checks every host";
    return { kind: "failed", host, reason: failure.reason };
  }
}

/** What an attempt's answer means for the job. */
type Verdict =
  /** A helper's object, checked: written into place. */
  | { kind: "object"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  /** The compiler said no on a helper: its verdict, not the host's fault. */
  | { kind: "compile-error"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  /** The copy compiled here: whatever it says is the local verdict. */
  | { kind: "copy"; run: LocalCopyResult; elapsedMs: number }
  | { kind: "failed"; host?: TcpHost; reason: string };

function judge(placed: PlacedJob, result: Exclude<AttemptResult, { kind: "stopped" }>): Verdict {
  if (result.kind === "failed") return result;
  if (result.kind === "copy-compiled") return { kind: "copy", run: result.run, elapsedMs: result.elapsedMs };
  const { host, response, elapsedMs, serverMs } = result;
  const timing = serverMs !== undefined ? { elapsedMs, serverMs } : { elapsedMs };
  const wait = parseWaitStatus(response.status);
  const exitCode = statusToExitCode(response.status);
  if (wait.kind === "exited" && wait.code === 0) {
    // Never a wrong object in the build: a helper that compiled for another machine is a failed host.
    const check = checkReturnedObject(response.object, placed.rewrite.identity, placed.scan.mode, placed.scan.argv);
    return check.ok ? { kind: "object", host, response, ...timing } : { kind: "failed", host, reason: check.reason };
  }
  // distccd's own failures (compiler missing 110, client gone 107, lifetime 118, ...) and signals
  // are the host's fault, not the compiler's verdict.
  if (wait.kind === "signaled" || (exitCode >= 100 && exitCode <= 127)) {
    const firstLine = Buffer.from(response.stderr).toString().trim().split("\n")[0] ?? "";
    const reason =
      wait.kind === "signaled"
        ? `the compiler was killed by signal ${wait.signal}`
        : `the server failed with distcc code ${exitCode}${firstLine ? `: ${firstLine}` : ""}`;
    return { kind: "failed", host, reason };
  }
  return { kind: "compile-error", host, response, ...timing };
}

/** The winning attempt's result becomes the job's: the output file, the compiler's messages and status. */
async function deliver(placed: PlacedJob, verdict: Exclude<Verdict, { kind: "failed" }>): Promise<void> {
  const { ctx, scan, hosts } = placed;
  const { out, opts } = ctx;
  if (verdict.kind === "compile-error") {
    if (placed.pump && opts.fallback) {
      // A pump job that the helper could not compile may have missed a file: compile here and, if that
      // works, count a discrepancy (after DISTCC_MAX_DISCREPANCY of them, pump mode stops).
      await retryPumpJobLocally(placed);
      return;
    }
    if (retriesLocally(placed)) {
      // Compile here to get exactly the local diagnostics (distcc's behaviour); no backoff.
      out.debug(`remote compilation of '${scan.input}' failed on ${verdict.host.spec}, retrying locally`);
      await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts, placed.jobId));
      return;
    }
    out.stdout(verdict.response.stdout);
    out.stderr(verdict.response.stderr);
    out.exit(statusToExitCode(verdict.response.status));
    return;
  }
  const result =
    verdict.kind === "copy"
      ? { object: verdict.run.output, stdout: verdict.run.stdout, stderr: verdict.run.stderr, code: verdict.run.code, where: "this machine" }
      : { object: verdict.response.object, stdout: verdict.response.stdout, stderr: verdict.response.stderr, code: 0, where: verdict.host.spec };
  if (result.code === 0 && result.object) {
    const wrote = await writeCompileOutput(resolve(ctx.cwd, scan.output), result.object, scan.mode, ctx.job.signal);
    if (wrote.kind === "cancelled" || ctx.job.signal.aborted) return;
    if (wrote.kind === "compile-here") return compileForTheOutput(placed, wrote.reason);
    // Pump mode: the helper's preprocessor wrote the dependency file (DOTD), with this machine's
    // paths; cpp writes it in place, as `-S` output is written.
    if (placed.pump && verdict.kind === "object" && scan.dependencies.wanted && scan.dependencies.depFile && verdict.response.deps) {
      const deps = await writeCompileOutput(resolve(ctx.cwd, scan.dependencies.depFile), verdict.response.deps, "assemble", ctx.job.signal);
      if (deps.kind === "cancelled" || ctx.job.signal.aborted) return;
      if (deps.kind === "compile-here") return compileForTheOutput(placed, deps.reason);
    }
  }
  if (verdict.kind === "object") ctx.state.recordSuccess(peerKey(verdict.host), placed.rewrite.name);
  out.debug(`${scan.input} compiled on ${result.where} in ${verdict.elapsedMs} ms`);
  // The preprocessor's warnings (#warning) were only shown by a local compile of the source.
  if (verdict.kind === "copy" && placed.cpp) out.stderr(placed.cpp.stderr);
  out.stdout(result.stdout);
  out.stderr(result.stderr);
  out.exit(result.code);
}

/** Why this job's files can only be written by a local compile, if they can only be so. */
function filesOnlyALocalCompileWrites(cwd: string, scan: DistributableScan): string | undefined {
  const side = sideOutputOption(scan.argv);
  if (side) return `${side} writes files besides the output, which a helper cannot send back`;
  // /dev/stdout opened by the agent would be the agent's: only the launcher's compiler can write it.
  if (isOpenersOwnPath(resolve(cwd, scan.output))) return `the output ${scan.output} is the caller's own file`;
  return undefined;
}

/**
 * The helper's output cannot be written as the local compiler would write it (no temp file in a
 * read-only or missing directory, a FIFO for an object, ...): the local compiler writes it, or fails
 * with its own message and status, as without distcc.
 */
async function compileForTheOutput(placed: PlacedJob, reason: string): Promise<void> {
  const { ctx, scan, hosts } = placed;
  if (!ctx.opts.fallback) {
    ctx.out.stderr(`distcc-client: cannot write ${scan.output} (${reason}) and DISTCC_FALLBACK=0: not compiling locally\n`);
    ctx.out.exit(EXIT_IO_ERROR);
    return;
  }
  ctx.out.debug(`${scan.input}: the output cannot be written as the compiler would (${reason}): compiling locally`);
  await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
}

/** The job's own lease on this machine: the launcher runs the compiler (exec), on the preprocessed output. */
async function compileHere(placed: PlacedJob, lease: Lease): Promise<void> {
  const { ctx, scan, driver, cpp } = placed;
  const { out, opts } = ctx;
  if (!driver.localIsAPlace && !opts.fallback) {
    driver.finish(lease, { ok: true });
    return failNoHosts(ctx, scan.input);
  }
  out.debug(`${scan.input} compiled locally (${driver.localIsAPlace ? "this machine was the quickest place" : "no helper could take it"})`);
  if (!cpp) {
    try {
      await runLocally(ctx, scan.argv, undefined);
    } finally {
      driver.finish(lease, { ok: true });
    }
    return;
  }
  const reuse = preparePreprocessedRun(ctx.state.scratchDir, ctx.state.nextTempId(), scan, cpp.output, cpp.mode);
  if (reuse) out.stderr(cpp.stderr); // the preprocessor's warnings (#warning), which a source compile would repeat
  try {
    await runLocally(ctx, reuse?.argv ?? scan.argv, undefined);
  } finally {
    reuse?.remove();
    driver.finish(lease, { ok: true });
  }
}

/**
 * The preprocessing whose output is sent: gcc's directives-only mode when it keeps the command's
 * meaning (about half the CPU of a full `-E`, which is most of what a weak client spends on a
 * distributed build; `directivesOnlyBlocker`, DISTCC_DIRECTIVES_ONLY=0 turns it off), else distcc's
 * full one. Output that names something only this machine knows (`placeDependentWord`) is
 * preprocessed again, fully.
 */
async function preprocessToSend(ctx: JobContext, scan: DistributableScan, rewrite: ToolchainRewrite, cppSlots: number): Promise<PreprocessResult | undefined> {
  const blocker = ctx.opts.directivesOnly ? directivesOnlyBlocker(scan, rewrite.identity, ctx.env) : "DISTCC_DIRECTIVES_ONLY is off";
  if (blocker !== undefined) {
    ctx.out.debug(`${scan.input}: full preprocessing: ${blocker}`);
    return preprocess(ctx, scan, cppSlots, "full");
  }
  const light = await preprocess(ctx, scan, cppSlots, "directives-only");
  if (!light) return light;
  // A failure is judged by distcc's own preprocessing (its messages, its verdict): this mode must
  // never be the reason a build fails.
  const word = light.code === 0 ? placeDependentWord(light.output) : `exit code ${light.code}`;
  if (word === undefined) return light;
  ctx.out.debug(`${scan.input}: directives-only preprocessing: ${word}: preprocessing it fully`);
  return preprocess(ctx, scan, cppSlots, "full");
}

/**
 * Local preprocessing, run by the launcher (a small C process forks far cheaper than this agent
 * can), stdout and stderr into private files; the stderr is shown only if the job succeeds.
 */
async function preprocess(ctx: JobContext, scan: DistributableScan, cppSlots: number, mode: PreprocessMode): Promise<PreprocessResult | undefined> {
  const cppLease = await ctx.state.slots.acquire(ctx.state.localPool("cpp", cppSlots), ctx.job.signal);
  try {
    const argv = preprocessorArgv(scan, mode);
    ctx.out.debug(`preprocessing: ${argv.join(" ")}`);
    const ran = await runHereAndRead(ctx, argv, "cpp", preprocessedExtension(scan.input), "preprocessor's");
    if (!ran) return undefined;
    // How long it took against the CPU it used: whether this machine's CPU is the bottleneck.
    if (ran.cpuMs !== undefined) ctx.state.cpuPressure.observe(ran.wallMs, ran.cpuMs, Date.now());
    return { code: ran.code, output: ran.stdout, stderr: ran.stderr, mode };
  } finally {
    cppLease.release();
  }
}

/**
 * Runs `argv` in the launcher (a small C process forks far cheaper than this agent can), its stdout
 * and stderr into private files of the scratch directory, and reads both back. Undefined when the
 * launcher went away (the job is cancelled).
 */
async function runHereAndRead(
  ctx: JobContext,
  argv: string[],
  prefix: string,
  stdoutExtension: string,
  whose: string,
): Promise<{ code: number; stdout: Buffer; stderr: Buffer; cpuMs?: number; wallMs: number } | undefined> {
  const base = join(ctx.state.scratchDir, `${prefix}-${process.pid}-${ctx.state.nextTempId()}`);
  const outFile = `${base}${stdoutExtension}`;
  const errFile = `${base}.err`;
  try {
    const sentAt = performance.now();
    ctx.job.send({ type: "preprocess", run: { path: ctx.compilerPath, argv, setEnv: ctx.childEnv, outFile, errFile } });
    let reply: Awaited<ReturnType<JobConnection["nextReply"]>>;
    try {
      reply = await ctx.job.nextReply();
    } catch (err) {
      if (err === LAUNCHER_GONE) return undefined;
      throw err;
    }
    const wallMs = performance.now() - sentAt;
    // Both files are the launcher's to create: any error reading them (EMFILE, EACCES, a file the
    // launcher could not make) means nothing to send, never an empty source.
    const read = (f: string, what: string): Buffer => {
      try {
        return readFileSync(f);
      } catch (err) {
        throw new PreprocessedOutputError(`cannot read the ${whose} ${what} (${errorMessage(err)})`, { cause: err });
      }
    };
    return { code: reply.code, stdout: read(outFile, "output"), stderr: read(errFile, "messages"), wallMs, ...(reply.cpuMs !== undefined ? { cpuMs: reply.cpuMs } : {}) };
  } finally {
    // unlink, not rmSync: one system call each (rmSync stats first); a file that is not there costs an
    // exception, but after a run both are there.
    const remove = (): void => {
      for (const f of [outFile, errFile]) {
        try {
          unlinkSync(f);
        } catch (err) {
          // Never created (the launcher failed first), or already swept: fine; anything else is said.
          if (!isErrno(err, "ENOENT")) ctx.out.debug(`cannot remove ${f}: ${errorMessage(err)}`);
        }
      }
    };
    remove();
    // A killed launcher's process may still be dying and re-create its file: sweep again later.
    if (ctx.job.signal.aborted) setTimeout(remove, 2000).unref();
  }
}

/** A `.i`/`.ii` input is sent as it is. */
async function readPreprocessed(ctx: JobContext, input: string): Promise<PreprocessResult> {
  try {
    return { code: 0, output: await readFile(resolve(ctx.cwd, input)), stderr: Buffer.alloc(0), mode: "full" };
  } catch (err) {
    return { code: 1, output: Buffer.alloc(0), stderr: Buffer.from(`${ctx.inv.compilerName}: error: ${input}: ${(err as Error).message}\n`), mode: "full" };
  }
}

interface RequestPlan {
  version: ProtocolVersion;
  extraArgs: string[];
  /** XREQ: only for a host known to be ours (or one the hosts line marks `,lz4`). */
  extension?: RequestExtension;
  /** Wait for the trailer (or EOF) after the answer: for hosts not known to be a distccd. */
  readTrailer: boolean;
  known: ReturnType<PeerMemory["get"]>;
}

/**
 * What one job sends to `host`. A distccd (or a host not yet known) gets exactly what distcc sends,
 * with the ARM ABI defaults as options; a host known to be ours gets the compiler's identity and LZO
 * bodies (LZ4 when the hosts line says `,lz4`), and no pinning options: its server adds the flags
 * its own compiler needs. `,lz4` in the hosts line means "this host is ours" from the first job.
 */
function planRequest(host: TcpHost, peers: PeerMemory, rewrite: ToolchainRewrite, pump: boolean): RequestPlan {
  const known = peers.get(peerKey(host));
  const ours = known?.kind === "ours" || host.compression === "lz4";
  const version: ProtocolVersion = pump ? 3 : host.protocol === 1 ? 1 : 2;
  if (!ours) return { version, extraArgs: rewrite.extraArgs, readTrailer: known?.kind !== "distccd", known };
  const features = known?.kind === "ours" ? known.features : ["lz4", "identity"];
  // LZO unless the hosts line asks for `,lz4`: measured, lz4js sends more bytes for more CPU than our LZO
  // (docs/protocol-extensions.md, "LZO or LZ4: measured").
  const compression = host.compression === "lz4" && features.includes("lz4") ? "lz4" : "lzo";
  const identity = rewrite.identity && features.includes("identity") ? toWireIdentity(rewrite.identity) : undefined;
  return {
    version: pump ? 3 : 2,
    extraArgs: identity ? rewrite.targetArgs : rewrite.extraArgs,
    extension: { v: 1, compression, ...(identity ? { identity } : {}) },
    readTrailer: true,
    known,
  };
}

/** How peers.json names a host: "host:port". */
function peerKey(h: TcpHost): string {
  return `${h.host}:${h.port}`;
}

function hostKey(h: TcpHost): string {
  return tcpHostId(h.host, h.port);
}

function failNoHosts(ctx: JobContext, input: string, why?: string): void {
  ctx.out.warn(`cannot distribute ${basename(input)}${why ? ` (${why})` : ""} and DISTCC_FALLBACK=0: not compiling locally`);
  ctx.out.exit(EXIT_NO_HOSTS);
}

/** A stopped attempt that never connected: learn whether its host is reachable at all (unconnected-probe.ts). */
function followUpUnconnected(placed: PlacedJob, host: TcpHost): void {
  const { ctx, driver } = placed;
  probeUnconnectedHost(host, ctx.opts.connectTimeoutMs, ctx.state.probing, (failure) => {
    ctx.state.lastFailure.set(hostKey(host), failure.reason);
    driver.hostFailed(hostKey(host), failure.reason);
  });
}

/**
 * A remote compile error is compiled again here (distcc's behaviour) unless the user said not to; a
 * pump job always is (it may have missed a file), unless nothing may be compiled here.
 */
function retriesLocally(placed: PlacedJob): boolean {
  const { opts } = placed.ctx;
  return opts.fallback && (placed.pump !== undefined || !opts.skipLocalRetry);
}

/** The preprocessor ran, but what it wrote cannot be read: the job cannot be sent. */
class PreprocessedOutputError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_CPP_OUTPUT", message, options);
  }
}

/**
 * A slot of this machine's pool: the scheduler's when there is a host list, else a plain pool of 4.
 * `redoOf`: the job whose helper's compile failed, compiled again here in this slot.
 */
async function takeLocalSlot(ctx: JobContext, hosts?: HostList, redoOf?: number): Promise<{ release(): void }> {
  if (!hosts) return ctx.state.slots.acquire(ctx.state.localPool("local", 4), ctx.job.signal);
  const driver = ctx.state.placement(hosts, ctx.env, ctx.opts);
  const { lease } = await driver.submit({ inputBytes: 0, localOnly: true }, ctx.job.signal, redoOf);
  return { release: () => driver.finish(lease, { ok: true }) };
}

/**
 * "Run it yourself": the launcher execs the compiler. Its socket stays open in the compiler
 * process, so the local slot is held exactly until the compiler exits.
 */
async function runLocally(ctx: JobContext, argv: string[], lease: { release(): void } | undefined): Promise<void> {
  try {
    ctx.job.send({ type: "run", run: { path: ctx.compilerPath, argv, setEnv: ctx.childEnv } });
    await ctx.job.closed;
  } finally {
    lease?.release();
  }
}

/**
 * The pump plan for this job, or undefined when it goes the plain way: no `,cpp` host, pump mode
 * off (DISTCC_PUMP=0, or DISTCC_MAX_DISCREPANCY reached), a preprocessed input, or an analysis that
 * is unsure (DISTCC_VERBOSE says why).
 */
async function planPumpJob(ctx: JobContext, scan: DistributableScan, rewrite: ToolchainRewrite, remotes: TcpHost[]): Promise<PumpPlan | undefined> {
  if (!remotes.some((h) => h.cpp) || scan.preprocessed) return undefined;
  const { opts, out, state } = ctx;
  if (!opts.pump) return undefined;
  if (state.pump.discrepancies >= opts.maxDiscrepancy) {
    state.once("pump-discrepancy", () => out.warn(`pump mode is off for the rest of this build: ${state.pump.discrepancies} job(s) failed on a helper and compiled here (DISTCC_MAX_DISCREPANCY=${opts.maxDiscrepancy})`));
    return undefined;
  }
  const family = rewrite.identity?.family === "clang" ? "clang" : rewrite.identity?.family === "gcc" ? "gcc" : undefined;
  const result = await planPump(state.pump, {
    argv: scan.argv,
    sendArgv: serverArgv(scan, 3, ctx.env),
    cwd: ctx.cwd,
    env: ctx.env,
    compiler: ctx.compilerPath,
    ...(family ? { family } : {}),
  });
  if (!result.ok) {
    out.debug(`${scan.input}: plain mode, not pump: ${result.reason}`);
    return undefined;
  }
  return result.plan;
}

/**
 * A pump job's local retry after the helper's compiler failed: run here and report, so a success
 * (the helper missed something the analysis should have sent) counts as a discrepancy.
 */
async function retryPumpJobLocally(placed: PlacedJob): Promise<void> {
  const { ctx, scan, hosts } = placed;
  const lease = await takeLocalSlot(ctx, hosts, placed.jobId);
  try {
    const ran = await runHereAndRead(ctx, scan.argv, "retry", ".out", "local compile's");
    if (!ran) return;
    if (ran.code === 0) {
      ctx.state.pump.discrepancies++;
      ctx.out.warn(`${scan.input} failed on a pump-mode helper but compiled here: a discrepancy (${ctx.state.pump.discrepancies} of DISTCC_MAX_DISCREPANCY=${ctx.opts.maxDiscrepancy})`);
    }
    ctx.out.stdout(ran.stdout);
    ctx.out.stderr(ran.stderr);
    ctx.out.exit(ran.code);
  } finally {
    lease.release();
  }
}
