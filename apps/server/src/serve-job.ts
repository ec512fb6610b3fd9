// One job from request to answer, kept whole though long: reading, checking, waiting for a slot,
// building the pump tree, compiling and answering share one deadline and one memory share, and
// their order is the security argument.
import type { Duplex } from "node:stream";
import { DEFAULT_LIMITS, DOCTOR_PROBE_COMPILER, type CompileResponse } from "@x/distcc-protocol";
import { ServerRewriteError, type ScanResult } from "@x/distcc-toolchain";
import { checkArgv, checkRequestBody, scanClientArgs } from "./check-request.js";
import { EXIT_BAD_ARGUMENTS, EXIT_BUSY, EXIT_IO_ERROR } from "@x/distcc-protocol";
import { fixDependencyFile } from "./dotd.js";
import { isErrno } from "./errno.js";
import type { JobFolder } from "./job-folder.js";
import type { JobContext } from "./job-context.js";
import type { JobResult, JobSummary } from "./job-result.js";
import { JobStop } from "./job-stop.js";
import { BudgetShare } from "./memory-budget.js";
import { prepareJob, unrootObject, type Prepared } from "./prepare-job.js";
import { PumpTreeError } from "./pump-tree.js";
import { readRequest } from "./request-reader.js";
import { closeAfterFlush, endStream, syntheticFailure, writeAfterResponse, writeResponse } from "./respond.js";
import { chooseJobCompiler } from "./resolve-compiler.js";
import { capabilitiesAnswer, compiledJobTrailer, serverTrailer } from "./trailer.js";
import { applyHeaderRefs, HeaderRefsError } from "./header-refs.js";
import { runCompiler } from "./run-compiler.js";

/** "127.0.0.1:4567" -> "127.0.0.1", "::1:4567" -> "::1": the key of the per-client caps. */
export function clientAddress(client: string): string {
  const at = client.lastIndexOf(":");
  return at > 0 ? client.slice(0, at) : client;
}

/** Bytes an answer holds in memory while it is sent. */
function answerSize(response: CompileResponse): number {
  return response.object.length + response.stderr.length + response.stdout.length + (response.deps?.length ?? 0);
}

/** What the listener learns of a connection's progress (the global connection cap uses it). */
export interface JobHooks {
  /** The header of the body (DOTI, NFIL) is in: the request has left its cheap phase. */
  onBodyStart?: () => void;
}

/**
 * Serves one connection = one job, start to end: read (bounded, with deadlines), check, wait for a
 * slot, compile in a fresh folder, answer, clean up. Never throws; returns what happened.
 */
export async function serveJob(
  conn: Duplex,
  client: string,
  ctx: JobContext,
  hooks: JobHooks = {},
): Promise<JobSummary> {
  const started = Date.now();
  const startedPrecise = performance.now();
  const summary: JobSummary = {
    result: "OTHER",
    client,
    status: 0,
    ret: 0,
    timeMs: 0,
    compileMs: 0,
    bytesIn: 0,
    bytesOut: 0,
  };
  const clientGone = new JobStop();
  let ended = false;
  // After the job, the client's close is no news.
  const onGone = (): void => {
    if (!ended) clientGone.stop();
  };
  const onShutdown = (): void => clientGone.stop();
  ctx.shutdown.addEventListener("abort", onShutdown, { once: true });
  const share = new BudgetShare(ctx.memory, clientAddress(client));
  const finish = (result: JobResult, reason?: string): JobSummary => {
    ended = true;
    share.releaseAll();
    summary.result = result;
    if (reason) summary.reason = reason;
    summary.timeMs = Date.now() - started;
    ctx.shutdown.removeEventListener("abort", onShutdown);
    return summary;
  };

  let scanned: { argv: readonly string[]; scan: ScanResult } | undefined;
  const outcome = await readRequest(conn, {
    ...(ctx.limits ? { limits: ctx.limits } : {}),
    idleTimeoutMs: ctx.readTimeoutMs,
    totalTimeoutMs: ctx.requestTimeoutMs,
    ...(ctx.headerTimeoutMs !== undefined ? { headerTimeoutMs: ctx.headerTimeoutMs } : {}),
    ...(ctx.bodyStartTimeoutMs !== undefined ? { bodyStartTimeoutMs: ctx.bodyStartTimeoutMs } : {}),
    ...(hooks.onBodyStart ? { onBodyStart: hooks.onBodyStart } : {}),
    checkArgv: (argv, version, cwd, ext) => {
      summary.compiler = argv[0];
      // Scanned once per job: the same scan serves the summary and the rewritten command.
      scanned = { argv, scan: scanClientArgs(argv) };
      return checkArgv(argv, version, cwd, ctx, ext, scanned.scan);
    },
    onBytes: (n) => (summary.bytesIn += n),
    budget: share,
    ...(ctx.minBodyRate ? { minBodyRate: ctx.minBodyRate } : {}),
  });
  if (outcome.kind === "dropped") {
    conn.destroy();
    summary.ret = outcome.ret;
    return finish(outcome.result, outcome.reason);
  }
  if (outcome.kind === "capabilities") {
    // Our extension: "which toolchains do you have" (doctor, scheduling). Answer and close.
    writeAfterResponse(conn, capabilitiesAnswer(ctx));
    // The client may close as soon as it has the answer: ending our side can then fail (EPIPE,
    // ECONNRESET), which changes nothing for a query that was answered.
    await endStream(conn).catch(() => undefined);
    conn.destroy();
    summary.probe = true;
    return finish("OTHER", "capabilities query (XCAP)");
  }
  const { request, ext } = outcome;
  let verdict = outcome.verdict;
  /** The checks on the request's files (once read, and again once a header-cache list is expanded). */
  const checkBody = (): void => {
    const choice = chooseJobCompiler(request.argv[0] ?? "", ext, ctx.whitelist);
    const bodyRefusal = choice.ok ? checkRequestBody(request, choice.executable) : undefined;
    if (bodyRefusal !== undefined) verdict = { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: bodyRefusal };
  };
  if (verdict.kind === "accept") checkBody();
  const compression = ext?.compression ?? "lzo";
  summary.protocol = request.version;
  const scan = scanned?.argv === request.argv ? scanned.scan : scanClientArgs(request.argv);
  if (scan.distributable) summary.input = scan.input;
  // From here on, EOF from the client means it went away (spec 1: never half-close).
  conn.once("end", onGone);
  conn.once("close", onGone);
  conn.on("error", onGone);
  if (conn.readableEnded || conn.destroyed) onGone();

  let sendFailure: string | undefined;
  // Issue 14, A11: an answer waiting for a client that does not read is memory like a request: it
  // is counted in the budget, may be dropped to make room once the client took nothing of it for
  // a while, and the client must take some of it every --read-timeout.
  const watch = { stallMs: ctx.sendTimeoutMs, onProgress: () => share.touch() };
  const send = async (response: CompileResponse, end: boolean, trailer: Uint8Array): Promise<boolean> => {
    share.evictable((why) => {
      sendFailure = why;
      conn.destroy();
    });
    try {
      // Our mark after the last token, in the same write: a client of ours learns this host is
      // ours, a real one ignores it.
      summary.bytesOut = await writeResponse(conn, response, false, compression, trailer, watch);
      if (end) await closeAfterFlush(conn, ctx.sendTimeoutMs);
      return true;
    } catch (err) {
      // Any write error (EPIPE, ECONNRESET: the client went away) ends the connection; the
      // summary says the response could not be sent, and why.
      sendFailure ??= (err as Error).message;
      conn.destroy();
      return false;
    }
  };

  const headerCache = ctx.headerStore !== undefined;
  // Header cache references (our clients only) are resolved before the job waits for a slot: a miss
  // is answered at once, so the client sends this job again with bodies.
  let headerSet: string | undefined;
  if (verdict.kind === "accept" && request.version === 3 && ext?.headers) {
    try {
      const limits = { ...DEFAULT_LIMITS, ...ctx.limits };
      // The expanded request is held to what the decoder and the pump tree allow one request, and
      // checked here, before the job waits for a slot: a list of 200,000 names built its tree in one.
      const bounds = {
        maxTotal: limits.maxTotal,
        maxFiles: limits.maxFiles,
        maxNameLength: limits.maxNameLength,
        maxDepth: ctx.treeBounds.maxDepth,
      };
      const applied = await applyHeaderRefs(request, ext.headers, ctx.headerStore, share, bounds);
      if (applied.kind === "missing") {
        const reason = `header cache: ${applied.digests.length} referenced file(s) not held here; the client sends them`;
        const trailer = serverTrailer({ headerCache, headers: { missing: applied.digests.slice(0, 2048) } });
        const miss = syntheticFailure(request.version, EXIT_BUSY, `distcc-server: ${reason}`);
        share.takeAnyway(answerSize(miss));
        await send(miss, true, trailer);
        return finish("OTHER", reason);
      }
      if (applied.kind === "no-memory")
        verdict = {
          kind: "refuse",
          exitCode: EXIT_BUSY,
          reason: "the header cache's files do not fit in --max-request-memory now",
        };
      else {
        headerSet = applied.set;
        // Again on the expanded request: a list's names were not there at the first check.
        checkBody();
      }
    } catch (err) {
      if (!(err instanceof HeaderRefsError)) throw err;
      verdict = { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: err.message };
    }
  }

  if (verdict.kind === "refuse") {
    // `distcc-client doctor` asks with a compiler no server has, to learn whose server answers:
    // routine, so neither a warning nor a failure in the stats.
    const probe = request.argv[0] === DOCTOR_PROBE_COMPILER;
    if (probe) summary.probe = true;
    ctx.logger.log(
      probe ? "info" : "warning",
      "check_request",
      `${client}: ${probe ? "doctor probe answered: " : ""}${verdict.reason}`,
    );
    summary.status = verdict.exitCode << 8;
    summary.ret = verdict.exitCode;
    const trailer = serverTrailer({
      resolvedBy: ext?.identity ? "identity" : "name",
      headerCache,
      ...(verdict.missing ? { missing: verdict.missing } : {}),
    });
    const refusal = syntheticFailure(request.version, verdict.exitCode, `distcc-server: ERROR: ${verdict.reason}`);
    share.takeAnyway(answerSize(refusal));
    await send(refusal, true, trailer);
    return finish("OTHER", verdict.reason);
  }

  const resolved = chooseJobCompiler(request.argv[0] ?? "", ext, ctx.whitelist);
  if (!resolved.ok) {
    conn.destroy(); // cannot happen: checkArgv asked the same whitelist
    return finish("OTHER", resolved.reason);
  }

  // Phase times only when they are logged (debug).
  const marks: [string, number][] = [["read", performance.now()]];
  const mark = ctx.logger.enabled("debug")
    ? (name: string): void => {
        marks.push([name, performance.now()]);
      }
    : (): void => {};
  const address = clientAddress(client);
  // Issue 14, H6: while it waits, the request may be dropped to make room in the memory budget
  // (MemoryBudget): the wait ends and the client is told the server is busy.
  const waitEnd = new JobStop();
  const onClientGone = (): void => waitEnd.stop();
  clientGone.addEventListener("abort", onClientGone);
  if (clientGone.aborted) waitEnd.stop();
  let droppedWhileWaiting: string | undefined;
  share.waitingForSlot((why) => {
    droppedWhileWaiting = why;
    waitEnd.stop();
  });
  const release = await ctx.slots.acquire(waitEnd, address);
  share.waitingForSlot(undefined);
  clientGone.removeEventListener("abort", onClientGone);
  mark("wait");
  if (!release && droppedWhileWaiting !== undefined && !clientGone.aborted) {
    ctx.logger.log("warning", "serve_job", `${client}: ${droppedWhileWaiting}`);
    const busy = syntheticFailure(
      request.version,
      EXIT_BUSY,
      `distcc-server: ERROR: ${droppedWhileWaiting}; compile it locally`,
    );
    share.takeAnyway(answerSize(busy));
    summary.status = busy.status;
    summary.ret = EXIT_BUSY;
    await send(busy, true, serverTrailer({ headerCache }));
    return finish("REJ_OVERLOAD", droppedWhileWaiting);
  }
  if (!release) {
    conn.destroy();
    if (clientGone.aborted) return finish("CLI_DISCONN", "client went away while waiting for a compile slot");
    if (ctx.slots.queued < ctx.slots.maxQueue) {
      return finish(
        "REJ_OVERLOAD",
        `all ${ctx.slots.capacity} slots busy and ${ctx.slots.maxQueuePerClient} requests of ${address} already waiting (--max-client-queue)`,
      );
    }
    return finish(
      "REJ_OVERLOAD",
      `all ${ctx.slots.capacity} slots busy and ${ctx.slots.maxQueue} requests already waiting`,
    );
  }
  // --job-lifetime counts from here: building a pump tree and compiling share one deadline.
  const jobStarted = Date.now();
  const lifetimeMs = ctx.jobLifetimeMs;

  let folder: JobFolder | undefined;
  let response: CompileResponse | undefined;
  let result: JobResult = "OTHER";
  let reason: string | undefined;
  try {
    folder = await ctx.folders.create();
    mark("folder");
    let prepared: Prepared;
    try {
      const deadline =
        lifetimeMs > 0 ? { deadline: jobStarted + lifetimeMs, deadlineWhat: `--job-lifetime (${lifetimeMs} ms)` } : {};
      prepared = await prepareJob(request, folder, resolved.executable, resolved.flags ?? [], ctx.addPipe, scan, {
        ...ctx.treeBounds,
        ...deadline,
      });
    } catch (err) {
      const bad = err instanceof PumpTreeError || err instanceof ServerRewriteError;
      result = bad ? "REJ_BAD_REQ" : "OTHER";
      reason = bad ? (err as Error).message : `cannot set up the job: ${(err as Error).message}`;
      return finish(result, reason);
    }
    const how = resolved.by === "identity" ? ` (by identity, ${compression})` : "";
    ctx.logger.log("info", "spawn_child", `${client}: ${resolved.executable} ${prepared.args.join(" ")}${how}`);
    for (const w of resolved.warnings) ctx.logger.log("warning", "check_request", `${client}: ${w}`);
    mark("setup");
    const compileStarted = Date.now();
    const run = await runCompiler({
      executable: prepared.executable,
      args: prepared.args,
      cwd: prepared.cwd,
      outputDir: folder.path,
      launcher: ctx.launcher,
      // TMPDIR inside the job folder: whatever the compiler leaves behind goes with the folder.
      env: { ...ctx.compilerEnv, TMPDIR: folder.path },
      // What is left of the job's lifetime after the set-up (at least 1 ms: 0 would mean no limit).
      lifetimeMs: lifetimeMs > 0 ? Math.max(1, lifetimeMs - (Date.now() - jobStarted)) : 0,
      jobLifetimeMs: lifetimeMs,
      clientGone,
      ...(ctx.sandbox ? { sandbox: ctx.sandbox } : {}),
      limits: ctx.compilerLimits,
      ...(ctx.jobCgroups ? { cgroups: ctx.jobCgroups } : {}),
    });
    summary.compileMs = Date.now() - compileStarted;
    mark("compile");
    summary.status = run.status;
    let object: Uint8Array = new Uint8Array(0);
    let deps: Uint8Array | undefined;
    // distccd's dcc_open_read: a file the compiler did not write (ENOENT) is sent empty; any other
    // read error fails the job with EXIT_IO_ERROR rather than passing for an empty object.
    let unreadable: string | undefined;
    const jobFolder = folder;
    const readOutput = async (file: string): Promise<Buffer> => {
      try {
        return await jobFolder.readFile(file);
      } catch (err) {
        if (!isErrno(err, "ENOENT"))
          unreadable ??= `cannot read the compiler's output ${file}: ${(err as Error).message}`;
        return Buffer.alloc(0);
      }
    };
    if (run.status === 0) {
      object = await readOutput(prepared.output);
      if (prepared.deps) object = unrootObject(object as Buffer, prepared.deps.root);
      if (prepared.deps) {
        const text = (await readOutput(prepared.deps.file)).toString("utf8");
        deps = Buffer.from(
          fixDependencyFile(text, {
            tempObject: prepared.output,
            target: prepared.deps.target,
            root: prepared.deps.root,
          }),
        );
      }
    }
    response = {
      version: request.version,
      status: run.status,
      stderr: run.stderr,
      stdout: run.stdout,
      object,
      ...(deps ? { deps } : {}),
    };
    if (unreadable) {
      ctx.logger.log("error", "serve_job", `${client}: ${unreadable}`);
      response = syntheticFailure(request.version, EXIT_IO_ERROR, `distcc-server: ERROR: ${unreadable}`);
      summary.status = response.status;
      summary.ret = EXIT_IO_ERROR;
      result = "OTHER";
      reason = unreadable;
    } else
      switch (run.end) {
        case "exited":
          result = run.status === 0 ? "COMPILE_OK" : "COMPILE_ERROR";
          break;
        case "signaled":
          result = "COMPILE_ERROR";
          reason = `compiler killed by signal ${run.status & 0x7f}`;
          break;
        case "timeout":
          result = "COMPILE_TIMEOUT";
          summary.ret = run.status >> 8;
          reason = run.note;
          break;
        case "client-gone":
          result = "CLI_DISCONN";
          summary.ret = run.status >> 8;
          reason = "client closed its side while the compiler ran";
          break;
        case "spawn-failed":
          result = "OTHER";
          summary.ret = run.status >> 8;
          reason = run.note;
          break;
      }
    // Issue 14, A11: the answer is memory like a request. One that does not fit (after dropping
    // idle holders) is not kept waiting for a client that may never read it: the client is told
    // the server is busy, and compiles it itself.
    const answerBytes = answerSize(response);
    if (!share.take(answerBytes)) {
      const why = `the server's memory cannot hold this answer (${answerBytes} bytes) now: ${share.refusal}`;
      ctx.logger.log("warning", "serve_job", `${client}: ${why}`);
      response = syntheticFailure(request.version, EXIT_BUSY, `distcc-server: ERROR: ${why}; compile it locally`);
      share.takeAnyway(answerSize(response));
      summary.status = response.status;
      summary.ret = EXIT_BUSY;
      result = "REJ_OVERLOAD";
      reason = why;
    }
  } finally {
    release();
    if (!response) {
      await folder?.remove();
      conn.destroy(); // closed only now: a client that sees the close also sees an empty temp dir
    }
  }
  // The folder's files are unlinked first (microseconds; on a memory filesystem the whole removal
  // is), then the answer goes out; our side is closed only once the folder is gone.
  const removing = folder?.remove();
  const sending = send(response, false, compiledJobTrailer(resolved.by, resolved.flags, headerCache, headerSet));
  await removing;
  mark("cleanup");
  const sent =
    (await sending) &&
    (await closeAfterFlush(conn, ctx.sendTimeoutMs).then(
      () => true,
      (err: unknown) => {
        sendFailure ??= (err as Error).message;
        return false;
      },
    ));
  mark("send");
  if (ctx.logger.enabled("debug")) {
    const steps = marks.slice(1).map(([name, t], i) => `${name} ${(t - (marks[i] as [string, number])[1]).toFixed(1)}`);
    ctx.logger.log(
      "debug",
      "job_phases",
      `${client}: phases in ms: read ${(marks[0]![1] - startedPrecise).toFixed(1)}, ${steps.join(", ")}`,
    );
  }
  if (!sent && result === "COMPILE_OK")
    return finish("CLI_DISCONN", `could not send the response${sendFailure ? `: ${sendFailure}` : ""}`);
  return finish(result, reason);
}
