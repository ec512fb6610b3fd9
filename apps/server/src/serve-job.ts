import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import type { CompileRequest, CompileResponse } from "@x/distcc-protocol";
import {
  describeLocalReason,
  findForbiddenServerOption,
  preprocessedExtension,
  rewriteServerJob,
  scanArgs,
  ServerRewriteError,
} from "@x/distcc-toolchain";
import { fixDependencyFile } from "./dotd.js";
import { EXIT_BAD_ARGUMENTS, EXIT_COMPILER_MISSING } from "./exit-codes.js";
import { createJobFolder, type JobFolder } from "./job-folder.js";
import type { JobContext } from "./job-context.js";
import type { JobResult, JobSummary } from "./job-result.js";
import { BudgetShare } from "./memory-budget.js";
import { PumpTreeError, makeClientCwd, placeTreeEntry } from "./pump-tree.js";
import { readRequest, type ArgvVerdict } from "./request-reader.js";
import { endStream, syntheticFailure, writeResponse } from "./respond.js";
import { runCompiler } from "./run-compiler.js";

const noResponseFiles = (): string => {
  // The server never reads files named by a client (`@file` never travels on the wire, spec 9.1).
  throw new Error("@file is not expanded on the server");
};

/** The checks distccd runs on argv (spec 8.2 steps 5 and 7), in order, plus ours. */
export function checkArgv(argv: string[], version: number, cwd: string | undefined, ctx: Pick<JobContext, "whitelist">): ArgvVerdict {
  const scan = scanArgs(argv, { readFile: noResponseFiles, env: {} });
  if (!scan.distributable) {
    return { kind: "drop", result: "OTHER", reason: `not distributable: ${describeLocalReason(scan.reason)}` };
  }
  const compiler = argv[0] ?? "";
  const decision = ctx.whitelist.lookupName(compiler);
  if (!decision.ok) {
    return { kind: "refuse", exitCode: EXIT_COMPILER_MISSING, reason: `compiler not allowed: ${decision.reason}` };
  }
  const fileArg = argv.slice(1).find((a) => a.startsWith("@"));
  if (fileArg) {
    return { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: `argument ${JSON.stringify(fileArg)} refused: the server does not read response files` };
  }
  const forbidden = findForbiddenServerOption(argv, version === 3 ? { protocol: 3, ...(cwd ? { cwd } : {}) } : { protocol: version === 2 ? 2 : 1 });
  if (forbidden) {
    return { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: `option ${JSON.stringify(forbidden.option)} refused: ${forbidden.why}` };
  }
  return { kind: "accept" };
}

/**
 * Protocol 3: the job root is in the object's debug info (comp_dir, file names). As distccd
 * (fix_debug_info.c) we overwrite it with as many slashes, so `/tmp/x/root/src` reads `//////////src`,
 * the client's path. Unlike distccd we patch the whole file, so gcc 11+'s .debug_line_str is fixed
 * too. The root is a fresh random folder name: it cannot occur by chance in code or data.
 */
export function unrootObject(object: Buffer, root: string): Buffer {
  const needle = Buffer.from(root);
  let at = object.indexOf(needle);
  if (at < 0) return object;
  const out = Buffer.from(object);
  while (at >= 0) {
    out.fill(0x2f, at, at + needle.length);
    at = out.indexOf(needle, at + needle.length);
  }
  return out;
}

interface Prepared {
  executable: string;
  args: string[];
  cwd: string;
  output: string;
  deps?: { file: string; target: string; root: string };
}

/** Puts the request's input in the job folder and rewrites the command for it (spec 8.2 step 6, 8.4). */
async function prepare(request: CompileRequest, folder: JobFolder, executable: string, flags: readonly string[]): Promise<Prepared> {
  const scan = scanArgs(request.argv, { readFile: noResponseFiles, env: {} });
  if (!scan.distributable) throw new Error("argv changed between checks"); // cannot happen: same argv
  const output = join(folder.path, "output.o");
  if (request.version !== 3) {
    const input = join(folder.path, `input${preprocessedExtension(scan.input)}`);
    await writeFile(input, request.source ?? new Uint8Array(0), { mode: 0o644 });
    const { argv } = rewriteServerJob(scan.argv, { input, output });
    return { executable, args: [...flags, ...argv.slice(1)], cwd: folder.path, output };
  }
  const root = join(folder.path, "root");
  await mkdir(root, { mode: 0o755 });
  const cwd = await makeClientCwd(root, request.cwd ?? "/");
  for (const entry of request.files ?? []) await placeTreeEntry(root, entry);
  const depsFile = join(folder.path, "output.deps");
  const rewritten = rewriteServerJob(scan.argv, { input: scan.input, output, root, cwd: request.cwd ?? "/", depsFile });
  return {
    executable,
    args: [...flags, ...rewritten.argv.slice(1)],
    cwd,
    output,
    deps: { file: depsFile, target: rewritten.dependencyTarget ?? scan.output, root },
  };
}

/**
 * Serves one connection = one job, start to end: read (bounded, with deadlines), check, wait for a
 * slot, compile in a fresh folder, answer, clean up. Never throws; returns what happened.
 */
export async function serveJob(conn: Duplex, client: string, ctx: JobContext): Promise<JobSummary> {
  const started = Date.now();
  const startedPrecise = performance.now();
  const summary: JobSummary = { result: "OTHER", client, status: 0, ret: 0, timeMs: 0, compileMs: 0, bytesIn: 0, bytesOut: 0 };
  const clientGone = new AbortController();
  const onGone = (): void => clientGone.abort();
  const onShutdown = (): void => clientGone.abort();
  ctx.shutdown.addEventListener("abort", onShutdown, { once: true });
  const share = new BudgetShare(ctx.memory);
  const finish = (result: JobResult, reason?: string): JobSummary => {
    share.releaseAll();
    summary.result = result;
    if (reason) summary.reason = reason;
    summary.timeMs = Date.now() - started;
    ctx.shutdown.removeEventListener("abort", onShutdown);
    return summary;
  };

  const outcome = await readRequest(conn, {
    ...(ctx.limits ? { limits: ctx.limits } : {}),
    idleTimeoutMs: ctx.readTimeoutMs,
    totalTimeoutMs: ctx.requestTimeoutMs,
    checkArgv: (argv, version, cwd) => {
      summary.compiler = argv[0];
      return checkArgv(argv, version, cwd, ctx);
    },
    onBytes: (n) => (summary.bytesIn += n),
    budget: share,
  });
  if (outcome.kind === "dropped") {
    conn.destroy();
    summary.ret = outcome.ret;
    return finish(outcome.result, outcome.reason);
  }
  const { request, verdict } = outcome;
  summary.protocol = request.version;
  const scan = scanArgs(request.argv, { readFile: noResponseFiles, env: {} });
  if (scan.distributable) summary.input = scan.input;
  // From here on, EOF from the client means it went away (spec 1: never half-close).
  conn.once("end", onGone);
  conn.once("close", onGone);
  conn.on("error", onGone);
  if (conn.readableEnded || conn.destroyed) onGone();

  const send = async (response: CompileResponse, end = true): Promise<boolean> => {
    try {
      summary.bytesOut = await writeResponse(conn, response, end);
      return true;
    } catch {
      conn.destroy();
      return false;
    }
  };

  if (verdict.kind === "refuse") {
    ctx.logger.log("warning", "check_request", `${client}: ${verdict.reason}`);
    summary.status = verdict.exitCode << 8;
    summary.ret = verdict.exitCode;
    await send(syntheticFailure(request.version, verdict.exitCode, `distcc-server: ERROR: ${verdict.reason}`));
    return finish("OTHER", verdict.reason);
  }

  const resolved = ctx.whitelist.lookupName(request.argv[0] ?? "");
  if (!resolved.ok) {
    conn.destroy(); // cannot happen: checkArgv asked the same whitelist
    return finish("OTHER", resolved.reason);
  }

  const marks: [string, number][] = [["read", performance.now()]];
  const mark = (name: string): void => {
    marks.push([name, performance.now()]);
  };
  const release = await ctx.slots.acquire(clientGone.signal);
  mark("wait");
  if (!release) {
    conn.destroy();
    if (clientGone.signal.aborted) return finish("CLI_DISCONN", "client went away while waiting for a compile slot");
    return finish("REJ_OVERLOAD", `all ${ctx.slots.capacity} slots busy and ${ctx.slots.maxQueue} requests already waiting`);
  }

  let folder: JobFolder | undefined;
  let response: CompileResponse | undefined;
  let result: JobResult = "OTHER";
  let reason: string | undefined;
  try {
    folder = await createJobFolder(ctx.tempDir);
    mark("folder");
    let prepared: Prepared;
    try {
      prepared = await prepare(request, folder, resolved.executable, resolved.flags ?? []);
    } catch (err) {
      const bad = err instanceof PumpTreeError || err instanceof ServerRewriteError;
      result = bad ? "REJ_BAD_REQ" : "OTHER";
      reason = bad ? (err as Error).message : `cannot set up the job: ${(err as Error).message}`;
      return finish(result, reason);
    }
    ctx.logger.log("info", "spawn_child", `${client}: ${resolved.executable} ${prepared.args.join(" ")}`);
    mark("setup");
    const compileStarted = Date.now();
    const run = await runCompiler({
      executable: prepared.executable,
      args: prepared.args,
      cwd: prepared.cwd,
      outputDir: folder.path,
      // TMPDIR inside the job folder: whatever the compiler leaves behind goes with the folder.
      env: { ...ctx.compilerEnv, TMPDIR: folder.path },
      lifetimeMs: ctx.jobLifetimeMs,
      clientGone: clientGone.signal,
    });
    summary.compileMs = Date.now() - compileStarted;
    mark("compile");
    summary.status = run.status;
    let object: Uint8Array = new Uint8Array(0);
    let deps: Uint8Array | undefined;
    if (run.status === 0) {
      object = await readFile(prepared.output).catch(() => Buffer.alloc(0));
      if (prepared.deps) object = unrootObject(object as Buffer, prepared.deps.root);
      if (prepared.deps) {
        const text = await readFile(prepared.deps.file, "utf8").catch(() => "");
        deps = Buffer.from(fixDependencyFile(text, { tempObject: prepared.output, target: prepared.deps.target, root: prepared.deps.root }));
      }
    }
    response = { version: request.version, status: run.status, stderr: run.stderr, stdout: run.stdout, object, ...(deps ? { deps } : {}) };
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
  } finally {
    release();
    if (!response) {
      await folder?.remove();
      conn.destroy(); // closed only now: a client that sees the close also sees an empty temp dir
    }
  }
  // The answer goes out while the folder is removed; our side is ended only after that.
  const sending = send(response, false);
  await folder?.remove();
  mark("cleanup");
  const sent = (await sending) && (await endStream(conn).then(() => true, () => false));
  mark("send");
  if (ctx.logger.enabled("debug")) {
    const steps = marks.slice(1).map(([name, t], i) => `${name} ${(t - (marks[i] as [string, number])[1]).toFixed(1)}`);
    ctx.logger.log("debug", "job_phases", `${client}: phases in ms: read ${(marks[0]![1] - startedPrecise).toFixed(1)}, ${steps.join(", ")}`);
  }
  if (!sent && result === "COMPILE_OK") return finish("CLI_DISCONN", "could not send the response");
  return finish(result, reason);
}
