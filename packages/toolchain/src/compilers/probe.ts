import { channel } from "node:diagnostics_channel";
import { realpath } from "node:fs/promises";
import path from "node:path";
import { NotACompilerError, ProbeFailedError } from "./errors.js";
import type { CompilerAbi, CompilerIdentity } from "./identity.js";
import { findInDirs, isExecutableFile, splitPathList } from "./locate.js";
import {
  abiFromClangCc1,
  abiFromGccTargetHelp,
  abiFromMacros,
  parseClangCc1Args,
  parseDriverBanner,
  parseGccTargetHelp,
  parseMacroDump,
} from "./probe-output.js";
import { runTool, type ToolOutput } from "./run-tool.js";

export interface ProbeOptions {
  /** Environment of the probe runs (PATH is used to find a bare name). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Limit per probe run; default 10 s (a cold cross gcc on a loaded machine can take a second). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Absolute path of a compiler given by path or by bare name (looked up on `env.PATH`). */
export async function locateCompiler(pathOrName: string, env: NodeJS.ProcessEnv): Promise<string> {
  if (pathOrName.includes("/")) {
    const abs = path.resolve(pathOrName);
    if (!(await isExecutableFile(abs))) throw new ProbeFailedError(abs, "no executable file at this path");
    return abs;
  }
  const found = await findInDirs(pathOrName, splitPathList(env.PATH));
  if (!found) throw new ProbeFailedError(pathOrName, "not found on PATH");
  return found;
}

/**
 * diagnostics_channel name on which every probe publishes
 * `{ path, ms, identity }` or `{ path, ms, error }` (free when nobody subscribes).
 */
export const PROBE_CHANNEL = "distcc-toolchain:probe";
const probeChannel = channel(PROBE_CHANNEL);

/**
 * Find out what a compiler is by asking it: the `-v` banner (family, version), what it links
 * (gcc vs g++), `-dumpmachine` (target), its predefined macros (endianness, pointer size, ARM float
 * ABI and mode) and its code-generation defaults (gcc `-Q --help=target`, clang's cc1 line).
 * Four short runs (three at once), no shell.
 */
export async function probeCompiler(pathOrName: string, opts: ProbeOptions = {}): Promise<CompilerIdentity> {
  const started = performance.now();
  try {
    const identity = await probeUnobserved(pathOrName, opts);
    if (probeChannel.hasSubscribers)
      probeChannel.publish({ path: pathOrName, ms: performance.now() - started, identity });
    return identity;
  } catch (error) {
    if (probeChannel.hasSubscribers) probeChannel.publish({ path: pathOrName, ms: performance.now() - started, error });
    throw error;
  }
}

async function probeUnobserved(pathOrName: string, opts: ProbeOptions): Promise<CompilerIdentity> {
  // LC_ALL=C: the banner is parsed, and a localised gcc says "Ziel:" instead of "Target:".
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env), LC_ALL: "C", LANG: "C", LANGUAGE: "C" };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const file = await locateCompiler(pathOrName, opts.env ?? process.env);
  const run = async (args: string[]): Promise<ToolOutput> => {
    let out: ToolOutput;
    try {
      out = await runTool(file, args, { env, timeoutMs });
    } catch (err) {
      throw new ProbeFailedError(file, `cannot run it (${(err as Error).message})`, { cause: err });
    }
    if (out.timedOut) throw new ProbeFailedError(file, `\`${args.join(" ")}\` did not finish within ${timeoutMs} ms`);
    return out;
  };

  // The banner, the macro dump and -dumpmachine do not depend on each other: run them together.
  const macrosRun = run(["-E", "-dM", "-x", "c", "/dev/null"]);
  const machineRun = run(["-dumpmachine"]);
  macrosRun.catch(() => undefined); // judged below, after the banner
  machineRun.catch(() => undefined);
  const banner = await run(["-###", "/dev/null", "-o", "/dev/null"]);
  const facts = parseDriverBanner(banner.stderr);
  if (!facts) {
    await macrosRun.catch(() => undefined);
    const said = (banner.stderr || banner.stdout).trim().split("\n")[0]?.slice(0, 120) ?? "";
    throw new NotACompilerError(
      file,
      `\`-###\` printed no gcc/clang banner${said ? ` (it said: ${JSON.stringify(said)})` : ""}`,
    );
  }
  const defaultsRun =
    facts.family === "gcc"
      ? run(["-Q", "--help=target"])
      : run(["-###", "-c", "-x", "c", "/dev/null", "-o", "/dev/null"]);
  const [macrosOut, defaultsOut, machineOut] = await Promise.all([macrosRun, defaultsRun, machineRun]);
  // -dumpmachine is the documented answer (and what a wrapper standing in for another toolchain
  // overrides); the banner's Target: line is the fallback.
  const dumped = machineOut.exitCode === 0 ? machineOut.stdout.trim() : "";
  const target = /^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)+$/.test(dumped) ? dumped : facts.target;
  if (macrosOut.exitCode !== 0) {
    throw new ProbeFailedError(file, `\`-E -dM\` failed: ${macrosOut.stderr.trim().slice(0, 200)}`);
  }
  const macros = parseMacroDump(macrosOut.stdout);
  if (!macros.has("__SIZEOF_POINTER__"))
    throw new NotACompilerError(file, "its preprocessor defines no __SIZEOF_POINTER__");

  let defaults: Partial<CompilerAbi>;
  if (facts.family === "gcc") {
    // gcc also asks the assembler for its target options and fails when no `as` is on PATH, after
    // printing its own table: the table is what counts.
    const table = parseGccTargetHelp(defaultsOut.stdout);
    if (table.size === 0) {
      throw new ProbeFailedError(file, `\`-Q --help=target\` failed: ${defaultsOut.stderr.trim().slice(0, 200)}`);
    }
    defaults = abiFromGccTargetHelp(table);
  } else {
    defaults = abiFromClangCc1(parseClangCc1Args(defaultsOut.stderr), target);
  }
  // Macros are what the code generator will really do; they win over the option table.
  const abi: CompilerAbi = { ...defaults, ...abiFromMacros(macros) };

  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw new ProbeFailedError(file, "realpath failed", { cause: err });
  }
  return { path: real, family: facts.family, kind: facts.kind, version: facts.version, target, abi };
}
