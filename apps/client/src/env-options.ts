/** Reading the DISTCC_* variables with sane parsing (the issue asks for real booleans). */
import { resolve } from "node:path";

export type Env = Record<string, string | undefined>;

const TRUE = new Set(["1", "true", "yes", "on", "y"]);
const FALSE = new Set(["0", "false", "no", "off", "n", ""]);

/** `1/true/yes/on` -> true, `0/false/no/off/empty` -> false, unset or anything else -> fallback. */
export function envBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return fallback;
}

/** A positive number of seconds, or the fallback when unset or not a number. */
export function envSeconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

export interface ClientOptions {
  fallback: boolean;
  skipLocalRetry: boolean;
  verbose: boolean;
  logFile?: string;
  saveTemps: boolean;
  ioTimeoutMs: number;
  backoffPeriodMs: number;
  connectTimeoutMs: number;
  tmpDir: string;
  noRewriteCross: boolean;
  /** gcc's directives-only preprocessing where it keeps the meaning (default on). */
  directivesOnly: boolean;
  /** Pump mode for `,cpp` hosts (DISTCC_PUMP=0 turns it off: those hosts then get plain jobs). */
  pump: boolean;
  /** Pump jobs that failed remotely and compiled here before pump mode stops (distcc's default 1). */
  maxDiscrepancy: number;
}

/**
 * The options one job runs with, from its launcher's environment. `cwd`: the caller's directory, which
 * a relative DISTCC_LOG is taken from (as distcc, which opens it where it runs; the agent runs in /).
 */
export function clientOptions(env: Env, cwd = process.cwd()): ClientOptions {
  return {
    fallback: envBoolean(env, "DISTCC_FALLBACK", true),
    skipLocalRetry: envBoolean(env, "DISTCC_SKIP_LOCAL_RETRY", false),
    verbose: envBoolean(env, "DISTCC_VERBOSE", false),
    logFile: env.DISTCC_LOG ? resolve(cwd, env.DISTCC_LOG) : undefined,
    saveTemps: envBoolean(env, "DISTCC_SAVE_TEMPS", false),
    ioTimeoutMs: Math.max(1, envSeconds(env, "DISTCC_IO_TIMEOUT", 300)) * 1000,
    backoffPeriodMs: envSeconds(env, "DISTCC_BACKOFF_PERIOD", 60) * 1000,
    connectTimeoutMs: envSeconds(env, "DISTCC_CONNECT_TIMEOUT", 4) * 1000,
    tmpDir: env.TMPDIR || "/tmp",
    noRewriteCross: env.DISTCC_NO_REWRITE_CROSS !== undefined,
    directivesOnly: envBoolean(env, "DISTCC_DIRECTIVES_ONLY", true),
    pump: envBoolean(env, "DISTCC_PUMP", true),
    maxDiscrepancy: envSeconds(env, "DISTCC_MAX_DISCREPANCY", 1),
  };
}
