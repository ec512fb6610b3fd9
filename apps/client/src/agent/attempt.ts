import type { AttemptResult } from "./attempt-verdict.js";
import { hostKey, type PlacedJob } from "./job-context.js";
import { compileLocalCopy } from "./local-copy.js";
import type { Lease } from "./placement.js";
import { sendToHelper } from "./remote-attempt.js";

/**
 * One attempt at the place `lease` names, with no effect outside the agent: what the place answered,
 * or why it failed. Only a straggler's copy gets here for this machine (a job's own lease on this
 * machine is the launcher's to compile: placed-job.ts).
 */
export async function runAttempt(placed: PlacedJob, lease: Lease, signal: AbortSignal): Promise<AttemptResult> {
  const { ctx, scan, remotes, cpp } = placed;
  const started = Date.now();
  if (lease.placement.kind === "local") {
    if (!cpp) return { kind: "failed", reason: "a pump job has no preprocessed source for a copy here" };
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
  return sendToHelper(placed, host, signal, started);
}
