// One launcher's job, from its command line to where it runs. The steps live beside this file:
// recursion-guard.ts, preprocess.ts and pump-choice.ts decide what is sent, placed-job.ts runs the
// attempts (attempt-race.ts, attempt.ts, remote-attempt.ts with request-plan.ts), attempt-verdict.ts
// judges them and deliver-result.ts writes the winner's output.
import { writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { basename, resolve } from "node:path";
import type { HostList } from "@x/distcc-hosts";
import { EXIT_COMPILER_MISSING, EXIT_RECURSION } from "@x/distcc-protocol";
import { describeLocalReason, preprocessedExtension, scanArgs, type DistributableScan } from "@x/distcc-toolchain";
import type { JobInfo } from "@x/distcc-scheduler";
import { classifyInvocation } from "../invocation.js";
import { clientOptions } from "../env-options.js";
import { runCommand } from "../commands.js";
import { errorMessage } from "../errno.js";
import type { JobConnection } from "./agent-server.js";
import type { AgentState } from "./agent-state.js";
import { hostKey, type JobContext, type TcpHost } from "./job-context.js";
import { checkLogFile, loadHosts, sayBackedOffHosts, sayStartupProblems } from "./job-notices.js";
import { JobOutput } from "./job-output.js";
import { PreprocessedOutputError } from "./launcher-run.js";
import { failNoHosts, runLocally, takeLocalSlot } from "./local-run.js";
import { isOpenersOwnPath } from "./output-target.js";
import { runPlacedJob } from "./placed-job.js";
import { LOCAL_ID } from "./placement.js";
import { preprocessToSend, readPreprocessed, type PreprocessResult } from "./preprocess.js";
import { planPumpJob } from "./pump-choice.js";
import type { PumpPlan } from "./pump-plan.js";
import { checkRecursion } from "./recursion-guard.js";
import { sideOutputOption } from "./side-outputs.js";
import { rewriteForServer, type ToolchainRewrite } from "./toolchain-rewrite.js";

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
  const compilerPath = state.findCompilerCached(inv.compilerName, inv.path, request.cwd, [
    request.self,
    ...state.selfPaths,
  ]);
  if (!compilerPath) {
    // distcc says "failed to exec" (its test suite and scripts look for those words).
    out.stderr(`distcc-client: failed to exec ${inv.compilerName}: compiler not found on PATH\n`);
    out.exit(EXIT_COMPILER_MISSING);
    return;
  }
  const guard = checkRecursion(env, inv);
  const ctx: JobContext = { job, state, opts, out, cwd: request.cwd, env, inv, compilerPath, childEnv: guard.childEnv };
  const userArgv = [inv.compilerName, ...inv.args];
  if (guard.verdict === "loop") {
    out.stderr("distcc-client: distcc seems to have invoked itself recursively!\n");
    out.exit(EXIT_RECURSION);
    return;
  }
  // A child of ours never distributes, and never takes a slot (its parent holds one).
  if (guard.verdict === "child") return runLocally(ctx, userArgv, undefined);
  await distribute(ctx, userArgv);
}

/** A build's own compile: here or on the helpers, as the hosts list, the command and the scheduler say. */
async function distribute(ctx: JobContext, userArgv: string[]): Promise<void> {
  const { state, opts, out, env, job } = ctx;
  const hosts = await loadHosts(ctx);
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
  const remotes = usableRemotes(ctx, hosts);
  if (remotes.length === 0) {
    if (!opts.fallback && !hosts.hosts.some((h) => h.kind === "local")) return failNoHosts(ctx, scan.input);
    await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
    return;
  }

  const rewrite = await rewriteForServer(
    state.recentIdentities,
    ctx.compilerPath,
    scan.argv[0] ?? ctx.inv.compilerName,
    scan.argv,
    {
      noRewrite: opts.noRewriteCross,
    },
  );
  if (rewrite.note) out.debug(rewrite.note); // what is added per host is said with each send

  // Pump mode for `,cpp` hosts: no preprocessing here, the files it would read go instead.
  const pump = await planPumpJob(ctx, scan, rewrite, remotes, hosts);
  if (job.signal.aborted) return;
  const distributable: Distributable = { ctx, scan, hosts, remotes, rewrite };
  if (pump) await placePumpJob(distributable, pump.plan, pump.excluded);
  else await placePlainJob(distributable);
}

/** What the placing of a distributable job starts from. */
interface Distributable {
  ctx: JobContext;
  scan: DistributableScan;
  hosts: HostList;
  remotes: TcpHost[];
  rewrite: ToolchainRewrite;
}

/** The helpers this job may go to: reachable TCP hosts (ssh hosts are not supported yet, and said so once). */
function usableRemotes(ctx: JobContext, hosts: HostList): TcpHost[] {
  const remotes = hosts.hosts.filter((h): h is TcpHost => h.kind === "tcp" && !h.down);
  if (hosts.hosts.some((h) => h.kind === "ssh")) {
    ctx.state.once("ssh", () =>
      ctx.out.warn("ssh hosts (@host) are not supported by distcc-client yet; they are skipped"),
    );
  }
  return remotes;
}

/**
 * A pump job goes only to `,cpp` helpers in pump mode (`inPlainMode`: those that are not): the others,
 * and this machine, would need it preprocessed here.
 */
async function placePumpJob(
  { ctx, scan, hosts, remotes, rewrite }: Distributable,
  pump: PumpPlan,
  inPlainMode: string[],
): Promise<void> {
  const driver = ctx.state.placement(hosts, ctx.env, ctx.opts);
  const plainHosts = [...remotes.filter((h) => !h.cpp).map(hostKey), ...inPlainMode];
  const excluded = driver.localIsAPlace ? plainHosts : [LOCAL_ID, ...plainHosts];
  // A straggler's copy here would need this job preprocessed here: copies go to other helpers only.
  const info: JobInfo = {
    inputBytes: pump.inputBytes,
    language: scan.language,
    compiler: rewrite.name,
    noLocalCopy: true,
    ...(excluded.length > 0 ? { excluded } : {}),
  };
  const first = await driver.submit(info, ctx.job.signal);
  await runPlacedJob(
    {
      ctx,
      scan,
      hosts,
      remotes: remotes.filter((h) => h.cpp && !inPlainMode.includes(hostKey(h))),
      rewrite,
      pump,
      driver,
      jobId: first.jobId,
    },
    first.lease,
  );
}

/** A plain job: preprocessed here first (under a cpp slot), then placed; the helper's slot is taken only once it can be sent. */
async function placePlainJob({ ctx, scan, hosts, remotes, rewrite }: Distributable): Promise<void> {
  const { opts, out, job } = ctx;
  let cpp: PreprocessResult | undefined;
  try {
    cpp = scan.preprocessed
      ? await readPreprocessed(ctx, scan.input)
      : await preprocessToSend(ctx, scan, rewrite, hosts.localSlotsCpp);
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
      out.debug(
        `${scan.input}: preprocessing failed (exit ${cpp.code}): compiling locally for the compiler's own messages`,
      );
      await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
      return;
    }
    out.stderr(cpp.stderr);
    out.exit(cpp.code);
    return;
  }
  if (opts.saveTemps) await keepPreprocessed(ctx, scan, cpp);

  const driver = ctx.state.placement(hosts, ctx.env, opts);
  sayBackedOffHosts(ctx, driver, remotes);
  // The driver decides whether this machine is a place (`localCountsAsPlace`: always with the default
  // policy, only when the list names localhost with distcc's order, never with DISTCC_FALLBACK=0).
  const info: JobInfo = {
    inputBytes: cpp.output.length,
    language: scan.language,
    compiler: rewrite.name,
    ...(driver.localIsAPlace ? {} : { excluded: [LOCAL_ID] }),
  };
  const first = await driver.submit(info, job.signal);
  await runPlacedJob({ ctx, scan, hosts, remotes, rewrite, cpp, driver, jobId: first.jobId }, first.lease);
}

/** DISTCC_SAVE_TEMPS: the preprocessed source kept for the user; a failure to keep it is only a warning. */
async function keepPreprocessed(ctx: JobContext, scan: DistributableScan, cpp: PreprocessResult): Promise<void> {
  const kept = resolve(ctx.opts.tmpDir, `distcc_${randomBytes(4).toString("hex")}${preprocessedExtension(scan.input)}`);
  // Private (the user's source) and never through a link someone planted at the name.
  await writeFile(kept, cpp.output, { flag: "wx", mode: 0o600 }).then(
    () => ctx.out.debug(`kept preprocessed source in ${kept}`),
    (err: unknown) => ctx.out.warn(`DISTCC_SAVE_TEMPS: cannot keep the preprocessed source: ${errorMessage(err)}`),
  );
}

/** Why this job's files can only be written by a local compile, if they can only be so. */
function filesOnlyALocalCompileWrites(cwd: string, scan: DistributableScan): string | undefined {
  const side = sideOutputOption(scan.argv);
  if (side) return `${side} writes files besides the output, which a helper cannot send back`;
  // /dev/stdout opened by the agent would be the agent's: only the launcher's compiler can write it.
  if (isOpenersOwnPath(resolve(cwd, scan.output))) return `the output ${scan.output} is the caller's own file`;
  return undefined;
}
