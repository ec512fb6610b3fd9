import type { HostList } from "@x/distcc-hosts";
import { serverArgv, type DistributableScan } from "@x/distcc-toolchain";
import { hostKey, type JobContext, type TcpHost } from "./job-context.js";
import { placeName } from "./placement.js";
import { jobMode } from "./pump-or-plain.js";
import { planPump, type PumpPlan } from "./pump-plan.js";
import type { ToolchainRewrite } from "./toolchain-rewrite.js";

/**
 * The pump plan for this job (and the `,cpp` hosts it must not go to: those in plain mode), or
 * undefined when it goes the plain way: no `,cpp` host, pump mode off (DISTCC_PUMP=0, or
 * DISTCC_MAX_DISCREPANCY reached), a preprocessed input, helpers slower than this machine's own
 * preprocessing (see pumpOrPlain), or an analysis that is unsure (DISTCC_VERBOSE says why).
 */
export async function planPumpJob(
  ctx: JobContext,
  scan: DistributableScan,
  rewrite: ToolchainRewrite,
  remotes: TcpHost[],
  hosts: HostList,
): Promise<{ plan: PumpPlan; excluded: string[] } | undefined> {
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
  const modes = pumpOrPlain(ctx, scan, remotes, hosts);
  if (modes.mode === "plain") return undefined;
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
  return { plan: result.plan, excluded: modes.excluded };
}

/**
 * Per `,cpp` host, pump or plain from the agent's figures (pump-or-plain.ts), said per job with
 * DISTCC_VERBOSE and counted for `summary`; then how this job goes (jobMode).
 */
function pumpOrPlain(
  ctx: JobContext,
  scan: DistributableScan,
  remotes: TcpHost[],
  hosts: HostList,
): ReturnType<typeof jobMode> {
  const { state, out } = ctx;
  const modes = state.pumpModes;
  const cppHosts = remotes.filter((h) => h.cpp);
  const plainOnly = remotes.length - cppHosts.length;
  const now = Date.now();
  const places = state.placement(hosts, ctx.env, ctx.opts).scheduler.snapshot(now).places;
  const free = (id: string): boolean => {
    const p = places.find((x) => x.id === id);
    return p !== undefined && p.inUse < p.limit && !p.down && (p.backedOffUntil ?? 0) <= now;
  };
  const full = (id: string): boolean => {
    const p = places.find((x) => x.id === id);
    return p !== undefined && p.inUse >= p.limit;
  };
  const decided = cppHosts.map((h) => {
    const id = hostKey(h);
    const others = cppHosts.filter((g) => g !== h && modes.modeOf(hostKey(g)) === "plain").length;
    const before = modes.modeOf(id);
    const d = modes.decide(id, plainOnly + others + 1, full(id), now);
    const name = placeName(h.spec);
    // Pump is what `,cpp` asks for: said only for a probe, and when a host goes back to it.
    if (d.mode === "plain" || d.probe || d.hostMode !== before)
      out.debug(`${scan.input}: ${d.mode} mode for ${name}: ${d.reason}`);
    state.monitor.noteJobMode(id, before, d);
    return { id, mode: d.mode, free: false };
  });
  const mixed = decided.some((d) => d.mode === "plain") && decided.some((d) => d.mode === "pump");
  return jobMode(mixed ? decided.map((d) => ({ ...d, free: d.mode === "pump" && free(d.id) })) : decided);
}
