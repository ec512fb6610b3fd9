// The shapes ToolchainIndex takes and gives, apart from the logic so consumers can read them at a glance.
import type { CommandListSource } from "./command-list.js";
import type { CompilerAbi, CompilerFamily, CompilerIdentity, CompilerKind } from "./identity.js";
import type { IdentityCache } from "./identity-cache.js";
import type { TripleAliases } from "./triples.js";

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
  /** Where each name was found (same order as `names`). */
  paths: string[];
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
  code:
    | "DISTCC_ERR_ABSOLUTE_PATH"
    | "DISTCC_ERR_UNKNOWN_COMPILER"
    | "DISTCC_ERR_NO_TOOLCHAIN"
    | "DISTCC_ERR_NOT_IN_CMDLIST";
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

/** Input of ToolchainIndex.fromEntries: one name and what it runs. */
export interface ToolchainIndexEntry {
  name: string;
  executable: string;
  identity: CompilerIdentity;
  via?: "name" | "masquerade";
}
