import { abiAdjustment } from "./abi-flags.js";
import type { CompilerAbi } from "./identity.js";
import { versionMajor } from "./identity.js";
import type { IndexedCompiler, Resolution, WantedCompiler } from "./index-types.js";
import { installHint } from "./install-hint.js";
import { triplesMatch, type TripleAliases } from "./triples.js";

/**
 * The installed compiler that produces what the wanted one would: same target (triplesMatch),
 * family and kind, ABI made equal with flags; the same major version if installed, else the
 * closest (with a warning). A compiler for another target is never chosen; clang, which can
 * target anything, is given `--target=` when no clang of that default target is installed.
 */
export function chooseCompiler(
  compilers: readonly IndexedCompiler[],
  wanted: WantedCompiler,
  aliases?: TripleAliases,
): Resolution {
  const wantedMajor = wanted.version !== undefined ? versionMajor(wanted.version) : Number.NaN;
  type Candidate = { c: IndexedCompiler; flags: string[]; retarget: boolean; distance: number };
  const candidates: Candidate[] = [];
  const blocked: string[] = [];
  for (const c of compilers) {
    const id = c.identity;
    if (id.family !== wanted.family || id.kind !== wanted.kind) continue;
    const sameTarget = triplesMatch(id.target, wanted.target, aliases);
    if (!sameTarget && id.family !== "clang") continue;
    const want: Partial<CompilerAbi> = { ...wanted.abi };
    // clang's architecture level comes from its triple; a retargeted clang has another's endianness.
    if (id.family === "clang") delete want.arch;
    if (!sameTarget) {
      delete want.endian;
      delete want.pointerBits;
    }
    const adj = abiAdjustment(want, id.abi);
    if (adj.blockers.length > 0) {
      blocked.push(`${c.executable}: ${adj.blockers.join(", ")}`);
      continue;
    }
    const flags = sameTarget ? adj.flags : [`--target=${wanted.target}`, ...adj.flags];
    const major = versionMajor(id.version);
    const distance = Number.isNaN(wantedMajor) ? 0 : Math.abs(major - wantedMajor);
    candidates.push({ c, flags, retarget: !sameTarget, distance });
  }
  if (candidates.length === 0) {
    const hint = installHint(wanted.target, wanted.family, wanted.kind);
    const what = `${wanted.family === "gcc" ? (wanted.kind === "c++" ? "g++" : "gcc") : wanted.kind === "c++" ? "clang++" : "clang"} for ${wanted.target}`;
    const extra = blocked.length > 0 ? ` (unusable: ${blocked.join("; ")})` : "";
    return {
      ok: false,
      reason: `no ${what} on this server${extra}; to add one: ${hint}`,
      missing: { target: wanted.target, family: wanted.family, kind: wanted.kind, hint },
    };
  }
  candidates.sort(
    (a, b) =>
      Number(a.retarget) - Number(b.retarget) ||
      a.distance - b.distance ||
      versionMajor(b.c.identity.version) - versionMajor(a.c.identity.version) ||
      a.flags.length - b.flags.length,
  );
  const best = candidates[0] as Candidate;
  const warnings: string[] = [];
  if (best.distance > 0) {
    warnings.push(
      `no ${wanted.family} ${wantedMajor} for ${wanted.target} here; using ${best.c.identity.family} ${best.c.identity.version} (${best.c.executable}), the closest version installed`,
    );
  }
  return { ok: true, executable: best.c.executable, identity: best.c.identity, flags: best.flags, warnings };
}
