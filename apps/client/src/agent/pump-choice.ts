import { serverArgv, type DistributableScan } from "@x/distcc-toolchain";
import type { JobContext, TcpHost } from "./job-context.js";
import { planPump, type PumpPlan } from "./pump-plan.js";
import type { ToolchainRewrite } from "./toolchain-rewrite.js";

/**
 * The pump plan for this job, or undefined when it goes the plain way: no `,cpp` host, pump mode
 * off (DISTCC_PUMP=0, or DISTCC_MAX_DISCREPANCY reached), a preprocessed input, or an analysis that
 * is unsure (DISTCC_VERBOSE says why).
 */
export async function planPumpJob(
  ctx: JobContext,
  scan: DistributableScan,
  rewrite: ToolchainRewrite,
  remotes: TcpHost[],
): Promise<PumpPlan | undefined> {
  if (!remotes.some((h) => h.cpp) || scan.preprocessed) return undefined;
  const { opts, out, state } = ctx;
  if (!opts.pump) return undefined;
  if (state.pump.discrepancies >= opts.maxDiscrepancy) {
    state.once("pump-discrepancy", () =>
      out.warn(
        `pump mode is off for the rest of this build: ${state.pump.discrepancies} job(s) failed on a helper and compiled here (DISTCC_MAX_DISCREPANCY=${opts.maxDiscrepancy})`,
      ),
    );
    return undefined;
  }
  const family =
    rewrite.identity?.family === "clang" ? "clang" : rewrite.identity?.family === "gcc" ? "gcc" : undefined;
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
