import { resolve } from "node:path";
import { EXIT_IO_ERROR, statusToExitCode } from "@x/distcc-protocol";
import type { Verdict } from "./attempt-verdict.js";
import { peerKey, type PlacedJob } from "./job-context.js";
import { runHereAndRead } from "./launcher-run.js";
import { runLocally, takeLocalSlot } from "./local-run.js";
import { writeCompileOutput } from "./write-output.js";

/** The winning attempt's result becomes the job's: the output file, the compiler's messages and status. */
export async function deliver(placed: PlacedJob, verdict: Exclude<Verdict, { kind: "failed" }>): Promise<void> {
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
      ? {
          object: verdict.run.output,
          stdout: verdict.run.stdout,
          stderr: verdict.run.stderr,
          code: verdict.run.code,
          where: "this machine",
        }
      : {
          object: verdict.response.object,
          stdout: verdict.response.stdout,
          stderr: verdict.response.stderr,
          code: 0,
          where: verdict.host.spec,
        };
  if (result.code === 0 && result.object) {
    const wrote = await writeCompileOutput(resolve(ctx.cwd, scan.output), result.object, scan.mode, ctx.job.signal);
    if (wrote.kind === "cancelled" || ctx.job.signal.aborted) return;
    if (wrote.kind === "compile-here") return compileForTheOutput(placed, wrote.reason);
    // Pump mode: the helper's preprocessor wrote the dependency file (DOTD), with this machine's
    // paths; cpp writes it in place, as `-S` output is written.
    if (
      placed.pump &&
      verdict.kind === "object" &&
      scan.dependencies.wanted &&
      scan.dependencies.depFile &&
      verdict.response.deps
    ) {
      const deps = await writeCompileOutput(
        resolve(ctx.cwd, scan.dependencies.depFile),
        verdict.response.deps,
        "assemble",
        ctx.job.signal,
      );
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

/**
 * The helper's output cannot be written as the local compiler would write it (no temp file in a
 * read-only or missing directory, a FIFO for an object, ...): the local compiler writes it, or fails
 * with its own message and status, as without distcc.
 */
async function compileForTheOutput(placed: PlacedJob, reason: string): Promise<void> {
  const { ctx, scan, hosts } = placed;
  if (!ctx.opts.fallback) {
    ctx.out.stderr(
      `distcc-client: cannot write ${scan.output} (${reason}) and DISTCC_FALLBACK=0: not compiling locally\n`,
    );
    ctx.out.exit(EXIT_IO_ERROR);
    return;
  }
  ctx.out.debug(`${scan.input}: the output cannot be written as the compiler would (${reason}): compiling locally`);
  await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, hosts));
}

/**
 * A remote compile error is compiled again here (distcc's behaviour) unless the user said not to; a
 * pump job always is (it may have missed a file), unless nothing may be compiled here.
 */
export function retriesLocally(placed: PlacedJob): boolean {
  const { opts } = placed.ctx;
  return opts.fallback && (placed.pump !== undefined || !opts.skipLocalRetry);
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
      ctx.out.warn(
        `${scan.input} failed on a pump-mode helper but compiled here: a discrepancy (${ctx.state.pump.discrepancies} of DISTCC_MAX_DISCREPANCY=${ctx.opts.maxDiscrepancy})`,
      );
    }
    ctx.out.stdout(ran.stdout);
    ctx.out.stderr(ran.stderr);
    ctx.out.exit(ran.code);
  } finally {
    lease.release();
  }
}
