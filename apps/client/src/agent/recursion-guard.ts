import { safeguardLevel } from "../invocation.js";
import type { CompileInvocation } from "./job-context.js";

/** What distcc's recursion guard (spec 9.1) says of one invocation. */
interface RecursionGuard {
  /**
   * "free": a build's own call, which may distribute; "child": a child of ours (the compiler we ran
   * calls its driver again), which runs here and never takes a slot; "loop": we invoked ourselves.
   */
  verdict: "free" | "child" | "loop";
  /** Variables every child (cpp, local compiler) gets: the guard's next level, the cut PATH. */
  childEnv: Record<string, string>;
}

/**
 * distcc's own rule (`dcc_recursion_safeguard` with `dcc_trim_path`): a masquerade call that cut
 * its directory from PATH is allowed one level more before it counts as a loop, so both agree on
 * which chains of wrappers work.
 */
export function checkRecursion(env: Record<string, string>, inv: CompileInvocation): RecursionGuard {
  const level = safeguardLevel(env);
  const childEnv: Record<string, string> = { _DISTCC_SAFEGUARD: String(level + 1) };
  if (inv.pathWasCut) childEnv.PATH = inv.path;
  if (level === 0) return { verdict: "free", childEnv };
  return { verdict: level - (inv.pathWasCut ? 1 : 0) > 0 ? "loop" : "child", childEnv };
}
