import { statusToExitCode } from "@x/distcc-protocol";
import { AttemptRace } from "./attempt-race.js";
import { judge, type Verdict } from "./attempt-verdict.js";
import { deliver, retriesLocally } from "./deliver-result.js";
import type { PlacedJob } from "./job-context.js";
import { sayHostFailed } from "./job-notices.js";
import { failNoHosts, runLocally, takeLocalSlot } from "./local-run.js";
import { preparePreprocessedRun } from "./local-preprocessed.js";
import type { Lease } from "./placement.js";

/**
 * Runs the job where the scheduler puts it. A lease on this machine hands the compile to the launcher
 * (exec: final). Remote attempts are the agent's own, so while one runs the scheduler may add a
 * straggler copy at another idle place (here, or another helper): the first result wins and the other
 * attempt is stopped. A failed attempt backs its host off; the job is placed again (the scheduler
 * allows 3 remote attempts, never distcc's endless loop, then this machine) unless a copy still runs.
 */
export async function runPlacedJob(placed: PlacedJob, firstLease: Lease): Promise<void> {
  const { ctx, scan, driver, jobId } = placed;
  const { job } = ctx;
  const race = new AttemptRace(placed);
  try {
    let lease: Lease | undefined = firstLease;
    for (;;) {
      if (lease) {
        if (lease.placement.kind === "local") {
          race.decide();
          return await compileHere(placed, lease);
        }
        race.start(lease);
        lease = undefined;
      }
      race.startOfferedCopies();
      if (race.size === 0) {
        lease = await driver.next(jobId, job.signal);
        continue;
      }
      const ended = await race.nextEnd();
      if (!ended) continue; // a copy to start
      if (job.signal.aborted) return;
      if (ended.result.kind === "stopped") continue;
      const verdict = judge(placed, ended.result);
      if (verdict.kind === "failed" && ended.lease.placement.kind === "local" && race.size === 0) {
        // A copy that could not run here, and nothing else runs: compile the source here, as a retry.
        driver.finish(ended.lease, { ok: true });
        race.decide();
        await runLocally(ctx, scan.argv, await takeLocalSlot(ctx, placed.hosts));
        return;
      }
      if (verdict.kind === "failed") {
        driver.finish(ended.lease, { ok: false, reason: verdict.reason });
        if (verdict.host) sayHostFailed(ctx, verdict.host, scan.input, verdict.reason);
        continue; // another attempt may still win; else the job is placed again
      }
      finishWinner(placed, ended.lease, verdict);
      race.decide();
      if (ended.lease.duplicate) ctx.out.debug(`${scan.input}: the copy on ${ended.lease.placeId} came first`);
      await deliver(placed, verdict);
      return;
    }
  } finally {
    race.close();
  }
}

/**
 * Tells the scheduler the job is done with the winning lease: the other attempts are cancelled (the
 * scheduler stops them through onCancel). The helper's own time (compileMs) tells the scheduler how
 * much of the exchange was the helper's.
 */
function finishWinner(placed: PlacedJob, lease: Lease, verdict: Exclude<Verdict, { kind: "failed" }>): void {
  const serverMs = verdict.kind !== "copy" ? verdict.serverMs : undefined;
  // A helper's compile error compiled again here is that helper's failure in `summary`, not its work.
  const redone =
    verdict.kind === "compile-error" && retriesLocally(placed)
      ? `the compile failed there (exit ${statusToExitCode(verdict.response.status)}), compiled again here`
      : undefined;
  placed.driver.finish(
    lease,
    { ok: true, elapsedMs: verdict.elapsedMs, ...(serverMs !== undefined ? { compileMs: serverMs } : {}) },
    redone,
  );
}

/** The job's own lease on this machine: the launcher runs the compiler (exec), on the preprocessed output. */
async function compileHere(placed: PlacedJob, lease: Lease): Promise<void> {
  const { ctx, scan, driver, cpp } = placed;
  const { out, opts } = ctx;
  if (!driver.localIsAPlace && !opts.fallback) {
    driver.finish(lease, { ok: true });
    return failNoHosts(ctx, scan.input);
  }
  out.debug(
    `${scan.input} compiled locally (${driver.localIsAPlace ? "this machine was the quickest place" : "no helper could take it"})`,
  );
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
