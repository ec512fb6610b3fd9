import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  directivesOnlyBlocker,
  placeDependentWord,
  preprocessedExtension,
  preprocessorArgv,
  type DistributableScan,
  type PreprocessMode,
} from "@x/distcc-toolchain";
import type { JobContext } from "./job-context.js";
import { runHereAndRead } from "./launcher-run.js";
import type { ToolchainRewrite } from "./toolchain-rewrite.js";

/** The source a plain job sends: this machine's preprocessor output, and what it said. */
export interface PreprocessResult {
  /** Exit code (128 + signal when killed). */
  code: number;
  output: Buffer;
  stderr: Buffer;
  /** How it was preprocessed: the compile of `output` needs `withPreprocessMode(argv, mode)`. */
  mode: PreprocessMode;
}

/**
 * The preprocessing whose output is sent: gcc's directives-only mode when it keeps the command's
 * meaning (about half the CPU of a full `-E`, which is most of what a weak client spends on a
 * distributed build; `directivesOnlyBlocker`, DISTCC_DIRECTIVES_ONLY=0 turns it off), else distcc's
 * full one. Output that names something only this machine knows (`placeDependentWord`) is
 * preprocessed again, fully.
 */
export async function preprocessToSend(
  ctx: JobContext,
  scan: DistributableScan,
  rewrite: ToolchainRewrite,
  cppSlots: number,
): Promise<PreprocessResult | undefined> {
  const blocker = ctx.opts.directivesOnly
    ? directivesOnlyBlocker(scan, rewrite.identity, ctx.env)
    : "DISTCC_DIRECTIVES_ONLY is off";
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
async function preprocess(
  ctx: JobContext,
  scan: DistributableScan,
  cppSlots: number,
  mode: PreprocessMode,
): Promise<PreprocessResult | undefined> {
  const cppLease = await ctx.state.slots.acquire(ctx.state.localPool("cpp", cppSlots), ctx.job.signal);
  try {
    const argv = preprocessorArgv(scan, mode);
    ctx.out.debug(`preprocessing: ${argv.join(" ")}`);
    // Its share of this machine's time: what plain mode costs here (pump-modes.ts).
    const measured = ctx.state.pumpModes.cppStarted();
    let ran: Awaited<ReturnType<typeof runHereAndRead>>;
    try {
      ran = await runHereAndRead(ctx, argv, "cpp", preprocessedExtension(scan.input), "preprocessor's");
    } catch (err) {
      measured(false);
      throw err;
    }
    measured(ran !== undefined && ran.code === 0);
    if (!ran) return undefined;
    // How long it took against the CPU it used: whether this machine's CPU is the bottleneck.
    if (ran.cpuMs !== undefined) ctx.state.cpuPressure.observe(ran.wallMs, ran.cpuMs, Date.now());
    return { code: ran.code, output: ran.stdout, stderr: ran.stderr, mode };
  } finally {
    cppLease.release();
  }
}

/** A `.i`/`.ii` input is sent as it is. */
export async function readPreprocessed(ctx: JobContext, input: string): Promise<PreprocessResult> {
  try {
    return { code: 0, output: await readFile(resolve(ctx.cwd, input)), stderr: Buffer.alloc(0), mode: "full" };
  } catch (err) {
    return {
      code: 1,
      output: Buffer.alloc(0),
      stderr: Buffer.from(`${ctx.inv.compilerName}: error: ${input}: ${(err as Error).message}\n`),
      mode: "full",
    };
  }
}
