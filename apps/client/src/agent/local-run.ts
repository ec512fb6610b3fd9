import { basename } from "node:path";
import type { HostList } from "@x/distcc-hosts";
import { EXIT_NO_HOSTS } from "@x/distcc-protocol";
import type { JobContext } from "./job-context.js";

/**
 * "Run it yourself": the launcher execs the compiler. Its socket stays open in the compiler
 * process, so the local slot is held exactly until the compiler exits.
 */
export async function runLocally(
  ctx: JobContext,
  argv: string[],
  lease: { release(): void } | undefined,
): Promise<void> {
  try {
    ctx.job.send({ type: "run", run: { path: ctx.compilerPath, argv, setEnv: ctx.childEnv } });
    await ctx.job.closed;
  } finally {
    lease?.release();
  }
}

/**
 * A slot of this machine's pool: the scheduler's when there is a host list, else a plain pool of 4.
 * `redoOf`: the job whose helper's compile failed, compiled again here in this slot.
 */
export async function takeLocalSlot(ctx: JobContext, hosts?: HostList, redoOf?: number): Promise<{ release(): void }> {
  if (!hosts) return ctx.state.slots.acquire(ctx.state.localPool("local", 4), ctx.job.signal);
  const driver = ctx.state.placement(hosts, ctx.env, ctx.opts);
  const { lease } = await driver.submit({ inputBytes: 0, localOnly: true }, ctx.job.signal, redoOf);
  return { release: () => driver.finish(lease, { ok: true }) };
}

/** Nowhere to compile: no helper can take the job and DISTCC_FALLBACK=0 forbids this machine. */
export function failNoHosts(ctx: JobContext, input: string, why?: string): void {
  ctx.out.warn(
    `cannot distribute ${basename(input)}${why ? ` (${why})` : ""} and DISTCC_FALLBACK=0: not compiling locally`,
  );
  ctx.out.exit(EXIT_NO_HOSTS);
}
