import { availableParallelism } from "node:os";
import path from "node:path";
import { abiAdjustment, abiImpliedByTriple } from "./abi-flags.js";
import { commandListFromEnv, matchCommandList, readCommandList, type CommandList, type CommandListSource } from "./command-list.js";
import { parseCompilerName } from "./compiler-names.js";
import type { CompilerAbi, CompilerFamily, CompilerIdentity, CompilerKind } from "./identity.js";
import { versionMajor } from "./identity.js";
import type { IdentityCache } from "./identity-cache.js";
import { installHint } from "./install-hint.js";
import { splitPathList } from "./locate.js";
import { probeCompiler } from "./probe.js";
import { crossToolchainDirs, masqueradeNames, resolveExecutable, scanForCompilers, type FoundExecutable } from "./scan-dirs.js";
import { normalizeTripleWithAliases, triplesMatch, type TripleAliases } from "./triples.js";

export interface DiscoverOptions {
  /** Directories searched like PATH. Default: `env.DISTCCD_PATH`, else `env.PATH`. */
  pathDirs?: string[];
  /** More directories (server configuration); searched after pathDirs. */
  extraDirs?: string[];
  /** distccd masquerade directory whose names are whitelisted too; default "/usr/lib/distcc"; null: none. */
  masqueradeDir?: string | null;
  /** Also search ~/x-tools/x/bin (crosstool-NG), /opt/x-tools/x/bin, /opt/cross[/x]/bin, /usr/local/cross/x/bin. Default true. */
  crossDirs?: boolean;
  /** Environment for PATH/HOME and for the probes. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Identity cache; without one every compiler is probed. */
  cache?: IdentityCache;
  /** Probes run at once; default min(4, CPUs). */
  concurrency?: number;
  /** Limit per probe run, ms. */
  timeoutMs?: number;
  /** Extra triple equivalences (server configuration), see parseTripleAliases. */
  aliases?: TripleAliases;
  /**
   * distccd's DISTCC_CMDLIST: when given, ONLY the listed compilers may run, matched on the last
   * `numWords` path components of argv[0], and nothing is searched. Default: from `env.DISTCC_CMDLIST`
   * and `env.DISTCC_CMDLIST_NUMWORDS`; null: ignore them.
   */
  commandList?: CommandListSource | null;
}

/** One installed compiler and every name it answers to. */
export interface IndexedCompiler {
  /** File names that reach it, e.g. ["gcc", "gcc-12", "x86_64-linux-gnu-gcc", ...]. */
  names: string[];
  /** Path to spawn (the first name's path; drivers may depend on argv[0]). */
  executable: string;
  identity: CompilerIdentity;
}

/** The whitelist's answer for a name a distcc client sent. */
export interface ResolvedCompiler {
  /** Absolute path to spawn, without a shell. */
  executable: string;
  identity: CompilerIdentity;
  /** "name": a compiler found on the search path by that name; "masquerade": a name in the masquerade
   *  directory, run from the search path like distccd does; "identity": a fully qualified name
   *  matched to an installed compiler of the same target, family and kind. */
  via: "name" | "masquerade" | "identity";
  /** Flags to insert right after argv[0] (ABI defaults the name implies), usually empty. */
  flags: string[];
  warnings: string[];
}

/** Why a name was refused; `code` is stable. */
export interface NameRefusal {
  code: "DISTCC_ERR_ABSOLUTE_PATH" | "DISTCC_ERR_UNKNOWN_COMPILER" | "DISTCC_ERR_NO_TOOLCHAIN" | "DISTCC_ERR_NOT_IN_CMDLIST";
  reason: string;
  /** For DISTCC_ERR_NO_TOOLCHAIN: what is missing and how to get it. */
  missing?: MissingToolchain;
}

export type NameLookup = ({ ok: true } & ResolvedCompiler) | ({ ok: false } & NameRefusal);

/** What a client wants (at least target, family and kind; version and abi refine the choice). */
export type WantedCompiler = Partial<Omit<CompilerIdentity, "abi">> & {
  target: string;
  family: CompilerFamily;
  kind: CompilerKind;
  abi?: Partial<CompilerAbi>;
};

export interface MissingToolchain {
  target: string;
  family: CompilerFamily;
  kind: CompilerKind;
  /** A command or instruction that installs it, e.g. "apt-get install gcc-arm-linux-gnueabihf". */
  hint: string;
}

export type Resolution =
  | { ok: true; executable: string; identity: CompilerIdentity; flags: string[]; warnings: string[] }
  | { ok: false; reason: string; missing: MissingToolchain };

/** A probe that failed during discovery (not whitelisted), for logs and `doctor`. */
export interface RejectedCandidate {
  name: string;
  path: string;
  code: string;
  reason: string;
}

interface NameEntry {
  executable: string;
  identity: CompilerIdentity;
  via: "name" | "masquerade";
}

/** Input of ToolchainIndex.fromEntries: one name and what it runs. */
export interface ToolchainIndexEntry {
  name: string;
  executable: string;
  identity: CompilerIdentity;
  via?: "name" | "masquerade";
}

const identityKey = (i: CompilerIdentity): string => `${i.path}\0${i.family}\0${i.kind}\0${i.target}`;

/**
 * The compilers a server has, found by probing, indexed by name and by identity. It is the
 * whitelist: nothing that does not resolve through it may run.
 */
export class ToolchainIndex {
  private readonly byName = new Map<string, NameEntry>();
  private readonly compilers: IndexedCompiler[] = [];
  private readonly rejectedList: RejectedCandidate[];
  private readonly aliases: TripleAliases | undefined;
  private readonly commandList: CommandList | undefined;

  private constructor(entries: readonly ToolchainIndexEntry[], rejected: RejectedCandidate[], aliases?: TripleAliases, commandList?: CommandList) {
    this.rejectedList = rejected;
    this.aliases = aliases;
    this.commandList = commandList;
    const byIdentity = new Map<string, IndexedCompiler>();
    for (const e of entries) {
      if (this.byName.has(e.name)) continue;
      this.byName.set(e.name, { executable: e.executable, identity: e.identity, via: e.via ?? "name" });
      const key = identityKey(e.identity);
      const known = byIdentity.get(key);
      if (known) {
        known.names.push(e.name);
        // Spawn by a specific name rather than by cc/c++ (which an admin may point elsewhere later).
        if (parseCompilerName(path.basename(known.executable))?.generic && !parseCompilerName(e.name)?.generic) {
          known.executable = e.executable;
        }
      } else {
        const c: IndexedCompiler = { names: [e.name], executable: e.executable, identity: e.identity };
        byIdentity.set(key, c);
        this.compilers.push(c);
      }
    }
  }

  /** An index over compilers already identified (embedders, tests, a restored snapshot). */
  static fromEntries(entries: readonly ToolchainIndexEntry[], opts: { aliases?: TripleAliases } = {}): ToolchainIndex {
    return new ToolchainIndex(entries, [], opts.aliases);
  }

  /** Find, probe (in parallel, bounded, through the cache) and index the compilers of this machine. */
  static async discover(opts: DiscoverOptions = {}): Promise<ToolchainIndex> {
    const env = opts.env ?? process.env;
    const cmdSource = opts.commandList === undefined ? commandListFromEnv(env) : (opts.commandList ?? undefined);
    if (cmdSource) return ToolchainIndex.discoverCommandList(await readCommandList(cmdSource), opts, env);
    const pathDirs = opts.pathDirs ?? splitPathList(env.DISTCCD_PATH ?? env.PATH);
    const dirs = [...pathDirs, ...(opts.extraDirs ?? [])];
    if (opts.crossDirs ?? true) dirs.push(...(await crossToolchainDirs(env)));
    const masqDir = opts.masqueradeDir === undefined ? "/usr/lib/distcc" : opts.masqueradeDir;
    // The masquerade directory holds links to distcc: never search it for compilers.
    const found: (FoundExecutable & { via: "name" | "masquerade" })[] = (
      await scanForCompilers(dirs, masqDir ? [masqDir] : [])
    ).map((f) => ({ ...f, via: "name" as const }));
    if (masqDir) {
      const known = new Set(found.map((f) => f.name));
      const searchDirs = dirs.filter((d) => path.resolve(d) !== path.resolve(masqDir));
      for (const name of await masqueradeNames(masqDir)) {
        if (known.has(name) || name.includes("/")) continue;
        for (const dir of searchDirs) {
          const file = path.join(dir, name);
          const real = await resolveExecutable(file);
          if (real) {
            found.push({ name, path: file, realpath: real, via: "masquerade" });
            break;
          }
        }
      }
    }

    const { entries, rejected } = await probeAll(found, opts, env);
    return new ToolchainIndex(entries, rejected, opts.aliases);
  }

  private static async discoverCommandList(list: CommandList, opts: DiscoverOptions, env: NodeJS.ProcessEnv): Promise<ToolchainIndex> {
    const found: (FoundExecutable & { via: "name" | "masquerade" })[] = [];
    const rejectedMissing: RejectedCandidate[] = [];
    for (const p of list.paths) {
      const real = path.isAbsolute(p) ? await resolveExecutable(p) : undefined;
      if (real) found.push({ name: p, path: p, realpath: real, via: "name" });
      else rejectedMissing.push({ name: p, path: p, code: "DISTCC_ERR_PROBE_FAILED", reason: `${p}: listed in DISTCC_CMDLIST but not an executable file at an absolute path` });
    }
    const { entries, rejected } = await probeAll(found, opts, env);
    return new ToolchainIndex(entries, [...rejectedMissing, ...rejected], opts.aliases, list);
  }

  /** Every whitelisted compiler, with the names that reach it. */
  list(): IndexedCompiler[] {
    return this.compilers.map((c) => ({ ...c, names: [...c.names] }));
  }

  /** Candidates that were found but are not compilers (or could not be probed): not whitelisted. */
  rejected(): RejectedCandidate[] {
    return [...this.rejectedList];
  }

  /** The whitelist decision for argv[0] of a request; undefined = refuse (see lookupName for why). */
  resolveName(requested: string): ResolvedCompiler | undefined {
    const r = this.lookupName(requested);
    if (!r.ok) return undefined;
    const { ok: _ok, ...resolved } = r;
    return resolved;
  }

  /**
   * resolveName with the reason of a refusal. Order: distccd's path rule (a leading /usr/bin/ or
   * /bin/ is dropped, any other '/' refused), exact names (discovery, masquerade directory), then a
   * compiler name (`<triple>-gcc-12`, `g++`, `cc`, ...) matched by identity.
   */
  lookupName(requested: string): NameLookup {
    if (this.commandList) {
      // distccd: with DISTCC_CMDLIST nothing else counts, not even the absolute-path rule.
      const listed = matchCommandList(this.commandList, requested);
      const e = listed === undefined ? undefined : this.byName.get(listed);
      if (!e) {
        return { ok: false, code: "DISTCC_ERR_NOT_IN_CMDLIST", reason: `compiler ${JSON.stringify(requested)} is not in DISTCC_CMDLIST${listed ? " as a working compiler" : ""}` };
      }
      return { ok: true, executable: e.executable, identity: e.identity, via: "name", flags: [], warnings: [] };
    }
    let name = requested;
    const lower = name.toLowerCase();
    if (lower.startsWith("/usr/bin/")) name = name.slice("/usr/bin/".length);
    else if (lower.startsWith("/bin/")) name = name.slice("/bin/".length);
    if (name.includes("/")) {
      return { ok: false, code: "DISTCC_ERR_ABSOLUTE_PATH", reason: `compiler ${JSON.stringify(requested)} is a path; only names (or /usr/bin/NAME, /bin/NAME) are accepted` };
    }
    const exact = this.byName.get(name);
    if (exact) return { ok: true, executable: exact.executable, identity: exact.identity, via: exact.via, flags: [], warnings: [] };

    const parsed = parseCompilerName(name);
    if (!parsed) {
      return { ok: false, code: "DISTCC_ERR_UNKNOWN_COMPILER", reason: `compiler ${JSON.stringify(requested)} is not installed on this server (not on its compiler path nor in its masquerade directory)` };
    }
    let target = parsed.triple;
    if (target === undefined) {
      // An unqualified name means this machine's own compiler: take the target of its default one.
      const native = this.nativeTarget();
      if (native === undefined) {
        return { ok: false, code: "DISTCC_ERR_UNKNOWN_COMPILER", reason: `compiler ${JSON.stringify(requested)} is not installed and this server has no default cc/gcc to stand for it` };
      }
      target = native;
    }
    const wanted: WantedCompiler = { target, family: parsed.family, kind: parsed.kind };
    if (parsed.version !== undefined) wanted.version = parsed.version;
    if (parsed.generic) {
      // cc / c++ are "the default compiler": any family will do, gcc first.
      const r = this.resolveIdentity(wanted);
      const alt = r.ok ? r : this.resolveIdentity({ ...wanted, family: "clang" });
      if (alt.ok) return { ok: true, executable: alt.executable, identity: alt.identity, via: "identity", flags: alt.flags, warnings: alt.warnings };
      return { ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN", reason: r.ok ? "" : r.reason, ...(r.ok ? {} : { missing: r.missing }) };
    }
    const n = normalizeTripleWithAliases(target, this.aliases);
    wanted.abi = abiImpliedByTriple(n);
    const r = this.resolveIdentity(wanted);
    if (!r.ok) return { ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN", reason: r.reason, missing: r.missing };
    return { ok: true, executable: r.executable, identity: r.identity, via: "identity", flags: r.flags, warnings: r.warnings };
  }

  /**
   * The installed compiler that produces what the wanted one would: same target (triplesMatch),
   * family and kind, ABI made equal with flags; the same major version if installed, else the
   * closest (with a warning). A compiler for another target is never chosen; clang, which can
   * target anything, is given `--target=` when no clang of that default target is installed.
   */
  resolveIdentity(wanted: WantedCompiler): Resolution {
    const wantedMajor = wanted.version !== undefined ? versionMajor(wanted.version) : Number.NaN;
    type Candidate = { c: IndexedCompiler; flags: string[]; retarget: boolean; distance: number };
    const candidates: Candidate[] = [];
    const blocked: string[] = [];
    for (const c of this.compilers) {
      const id = c.identity;
      if (id.family !== wanted.family || id.kind !== wanted.kind) continue;
      const sameTarget = triplesMatch(id.target, wanted.target, this.aliases);
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
      return { ok: false, reason: `no ${what} on this server${extra}; to add one: ${hint}`, missing: { target: wanted.target, family: wanted.family, kind: wanted.kind, hint } };
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

  /** Target of this machine's default compiler (cc, else gcc, else c++/g++/clang). */
  private nativeTarget(): string | undefined {
    for (const n of ["cc", "gcc", "c++", "g++", "clang", "clang++"]) {
      const e = this.byName.get(n);
      if (e) return e.identity.target;
    }
    return undefined;
  }
}

/** Probe the found executables (bounded parallelism, one probe per binary and driver language). */
async function probeAll(
  found: readonly (FoundExecutable & { via: "name" | "masquerade" })[],
  opts: DiscoverOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ entries: ToolchainIndexEntry[]; rejected: RejectedCandidate[] }> {
  const probeOne = (file: string): Promise<CompilerIdentity> => {
    if (opts.cache) return opts.cache.get(file);
    const probeOpts: { env: NodeJS.ProcessEnv; timeoutMs?: number } = { env };
    if (opts.timeoutMs !== undefined) probeOpts.timeoutMs = opts.timeoutMs;
    return probeCompiler(file, probeOpts);
  };
  // One probe per binary and what its name asks of it: gcc and cc (-> the same gcc-12) are one probe,
  // but clang/clang++ (one binary reading argv[0]) or ccache links named after several compilers are not.
  const classOf = (f: FoundExecutable): string => {
    const n = parseCompilerName(f.name);
    // A real gcc binary answers the same whatever name it is called by.
    if (n?.family === "gcc" && parseCompilerName(path.basename(f.realpath))?.family === "gcc") return f.realpath;
    return `${f.realpath}\0${n ? `${n.family}\0${n.kind}\0${n.triple ?? ""}\0${n.version ?? ""}` : f.name}`;
  };
  const probes = new Map<string, Promise<CompilerIdentity>>();
  const limit = Math.max(1, opts.concurrency ?? Math.min(4, availableParallelism()));
  const queue = found.map((f) => ({ f, key: classOf(f) }));
  const results = new Map<FoundExecutable, CompilerIdentity | Error>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const item = queue[next++];
      if (!item) break;
      let p = probes.get(item.key);
      if (!p) {
        p = probeOne(item.f.path);
        probes.set(item.key, p);
      }
      try {
        results.set(item.f, await p);
      } catch (err) {
        results.set(item.f, err instanceof Error ? err : new Error(String(err)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));

  const entries: ToolchainIndexEntry[] = [];
  const rejected: RejectedCandidate[] = [];
  for (const f of found) {
    const r = results.get(f);
    if (r === undefined) continue;
    if (r instanceof Error) {
      const code = (r as { code?: unknown }).code;
      rejected.push({ name: f.name, path: f.path, code: typeof code === "string" ? code : "DISTCC_ERR_PROBE_FAILED", reason: r.message });
    } else {
      entries.push({ name: f.name, executable: f.path, identity: r, via: f.via });
    }
  }
  return { entries, rejected };
}
