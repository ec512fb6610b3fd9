import path from "node:path";
import { parseCompilerName } from "./compiler-names.js";
import type { CompilerIdentity } from "./identity.js";

export interface WireCompilerName {
  /** argv[0] to send. */
  name: string;
  /** Arguments to add after argv[0] (clang's `-target <triple>`), usually none. */
  extraArgs: string[];
}

const HAS_TARGET = /^(-target$|--target=|-target=)/;

/**
 * The name a client should send for a compiler it runs as `requested`, so that any server (ours, or a
 * distccd whose masquerade directory has the cross compilers) runs one for the same target: plain
 * gcc/g++/cc/c++ (also as /usr/bin/gcc) become `<triple>-gcc`/`<triple>-g++` with the compiler's real
 * triple (and the typed version suffix); clang keeps its name and gets `-target <triple>` unless the
 * command line has one. Qualified names and unknown names are sent as typed.
 */
export function wireCompilerName(
  requested: string,
  identity: Pick<CompilerIdentity, "family" | "kind" | "target">,
  args: readonly string[] = [],
): WireCompilerName {
  const parsed = parseCompilerName(path.basename(requested));
  if (!parsed || parsed.triple !== undefined) return { name: requested, extraArgs: [] };
  const suffix = parsed.version !== undefined ? `-${parsed.version}` : "";
  if (identity.family === "clang") {
    const name = parsed.generic ? (identity.kind === "c++" ? "clang++" : "clang") : path.basename(requested);
    const extraArgs = args.some((a) => HAS_TARGET.test(a)) ? [] : ["-target", identity.target];
    return { name, extraArgs };
  }
  return { name: `${identity.target}-${identity.kind === "c++" ? "g++" : "gcc"}${suffix}`, extraArgs: [] };
}
