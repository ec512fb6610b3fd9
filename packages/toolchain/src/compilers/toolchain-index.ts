import path from "node:path";
import { abiImpliedByTriple } from "./abi-flags.js";
import { chooseCompiler } from "./choose-compiler.js";
import { matchCommandList, type CommandList } from "./command-list.js";
import { parseCompilerName } from "./compiler-names.js";
import { discoverCompilers } from "./discover.js";
import type { CompilerIdentity } from "./identity.js";
import type {
  DiscoverOptions,
  IndexedCompiler,
  NameLookup,
  RejectedCandidate,
  Resolution,
  ResolvedCompiler,
  ToolchainIndexEntry,
  WantedCompiler,
} from "./index-types.js";
import { normalizeTripleWithAliases, type TripleAliases } from "./triples.js";

export type * from "./index-types.js";

interface NameEntry {
  executable: string;
  identity: CompilerIdentity;
  via: "name" | "masquerade";
}

// Two names are one compiler when everything probed about them is equal (ccache links to one binary are not).
const identityKey = (i: CompilerIdentity): string =>
  JSON.stringify([
    i.path,
    i.family,
    i.kind,
    i.version,
    i.target,
    Object.entries(i.abi).sort(([a], [b]) => a.localeCompare(b)),
  ]);

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

  private constructor(
    entries: readonly ToolchainIndexEntry[],
    rejected: RejectedCandidate[],
    aliases?: TripleAliases,
    commandList?: CommandList,
  ) {
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
        known.paths.push(e.executable);
        // Spawn by a specific name rather than by cc/c++ (which an admin may point elsewhere later).
        if (parseCompilerName(path.basename(known.executable))?.generic && !parseCompilerName(e.name)?.generic) {
          known.executable = e.executable;
        }
      } else {
        const c: IndexedCompiler = {
          names: [e.name],
          paths: [e.executable],
          executable: e.executable,
          identity: e.identity,
        };
        byIdentity.set(key, c);
        this.compilers.push(c);
      }
    }
  }

  /** An index over compilers already identified (embedders, tests, a restored snapshot). */
  static fromEntries(entries: readonly ToolchainIndexEntry[], opts: { aliases?: TripleAliases } = {}): ToolchainIndex {
    return new ToolchainIndex(entries, [], opts.aliases);
  }

  /**
   * An index over another machine's `list()` (e.g. received from one of our servers), to decide on
   * this side what it could serve: `ToolchainIndex.fromCompilers(remote).resolveIdentity(localId)`.
   */
  static fromCompilers(compilers: readonly IndexedCompiler[], opts: { aliases?: TripleAliases } = {}): ToolchainIndex {
    const entries = compilers.flatMap((c) =>
      c.names.map((name, i) => ({ name, executable: c.paths[i] ?? c.executable, identity: c.identity })),
    );
    return new ToolchainIndex(entries, [], opts.aliases);
  }

  /** Find, probe (in parallel, bounded, through the cache) and index the compilers of this machine. */
  static async discover(opts: DiscoverOptions = {}): Promise<ToolchainIndex> {
    const found = await discoverCompilers(opts);
    return new ToolchainIndex(found.entries, found.rejected, opts.aliases, found.commandList);
  }

  /** Every whitelisted compiler, with the names that reach it. */
  list(): IndexedCompiler[] {
    return this.compilers.map((c) => ({ ...c, names: [...c.names], paths: [...c.paths] }));
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
        return {
          ok: false,
          code: "DISTCC_ERR_NOT_IN_CMDLIST",
          reason: `compiler ${JSON.stringify(requested)} is not in DISTCC_CMDLIST${listed ? " as a working compiler" : ""}`,
        };
      }
      return { ok: true, executable: e.executable, identity: e.identity, via: "name", flags: [], warnings: [] };
    }
    if (requested.length > 4096 || requested.includes("\0")) {
      return {
        ok: false,
        code: "DISTCC_ERR_UNKNOWN_COMPILER",
        reason: "compiler name is not a file name (too long or has a NUL byte)",
      };
    }
    let name = requested;
    const lower = name.toLowerCase();
    if (lower.startsWith("/usr/bin/")) name = name.slice("/usr/bin/".length);
    else if (lower.startsWith("/bin/")) name = name.slice("/bin/".length);
    if (name.includes("/")) {
      return {
        ok: false,
        code: "DISTCC_ERR_ABSOLUTE_PATH",
        reason: `compiler ${JSON.stringify(requested)} is a path; only names (or /usr/bin/NAME, /bin/NAME) are accepted`,
      };
    }
    const exact = this.byName.get(name);
    if (exact)
      return {
        ok: true,
        executable: exact.executable,
        identity: exact.identity,
        via: exact.via,
        flags: [],
        warnings: [],
      };

    const parsed = parseCompilerName(name);
    if (!parsed) {
      return {
        ok: false,
        code: "DISTCC_ERR_UNKNOWN_COMPILER",
        reason: `compiler ${JSON.stringify(requested)} is not installed on this server (not on its compiler path nor in its masquerade directory)`,
      };
    }
    let target = parsed.triple;
    if (target === undefined) {
      // An unqualified name means this machine's own compiler: take the target of its default one.
      const native = this.nativeTarget();
      if (native === undefined) {
        return {
          ok: false,
          code: "DISTCC_ERR_UNKNOWN_COMPILER",
          reason: `compiler ${JSON.stringify(requested)} is not installed and this server has no default cc/gcc to stand for it`,
        };
      }
      target = native;
    }
    const wanted: WantedCompiler = { target, family: parsed.family, kind: parsed.kind };
    if (parsed.version !== undefined) wanted.version = parsed.version;
    if (parsed.generic) {
      // cc / c++ are "the default compiler": any family will do, gcc first.
      let r = this.resolveIdentity(wanted);
      if (!r.ok) r = this.resolveIdentity({ ...wanted, family: "clang" });
      if (!r.ok) return { ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN", reason: r.reason, missing: r.missing };
      return {
        ok: true,
        executable: r.executable,
        identity: r.identity,
        via: "identity",
        flags: r.flags,
        warnings: r.warnings,
      };
    }
    const n = normalizeTripleWithAliases(target, this.aliases);
    wanted.abi = abiImpliedByTriple(n);
    const r = this.resolveIdentity(wanted);
    if (!r.ok) return { ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN", reason: r.reason, missing: r.missing };
    return {
      ok: true,
      executable: r.executable,
      identity: r.identity,
      via: "identity",
      flags: r.flags,
      warnings: r.warnings,
    };
  }

  /**
   * The installed compiler that produces what the wanted one would: same target (triplesMatch),
   * family and kind, ABI made equal with flags; the same major version if installed, else the
   * closest (with a warning). A compiler for another target is never chosen; clang, which can
   * target anything, is given `--target=` when no clang of that default target is installed.
   */
  resolveIdentity(wanted: WantedCompiler): Resolution {
    return chooseCompiler(this.compilers, wanted, this.aliases);
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
