// Compilers: what a compiler is (probe, cache), which triples mean the same target, what a server has
// (discovery), and which installed compiler serves a request (the whitelist and resolution).
export { versionMajor, type CompilerAbi, type CompilerFamily, type CompilerIdentity, type CompilerKind } from "./identity.js";
export { CompilerToolchainError, NotACompilerError, ProbeFailedError, TripleAliasError } from "./errors.js";
export { probeCompiler, type ProbeOptions } from "./probe.js";
export { IdentityCache, compilerIdentitySchema, type IdentityCacheOptions } from "./identity-cache.js";
export {
  normalizeTriple,
  normalizeTripleWithAliases,
  parseTripleAliases,
  tripleAliasesSchema,
  triplesMatch,
  type NormalizedTriple,
  type TripleAliases,
} from "./triples.js";
export { parseCompilerName, type CompilerName } from "./compiler-names.js";
export { abiAdjustment, abiImpliedByTriple, type AbiAdjustment } from "./abi-flags.js";
export { debianTriple, installHint } from "./install-hint.js";
export {
  ToolchainIndex,
  type DiscoverOptions,
  type IndexedCompiler,
  type MissingToolchain,
  type NameLookup,
  type NameRefusal,
  type RejectedCandidate,
  type Resolution,
  type ResolvedCompiler,
  type ToolchainIndexEntry,
  type WantedCompiler,
} from "./toolchain-index.js";
export { wireCompilerName, type WireCompilerName } from "./wire-name.js";
export { checkObjectTarget, expectedElfTarget, readElfTarget, type ElfTarget } from "./elf-target.js";
export { commandListFromEnv, type CommandListSource } from "./command-list.js";
export { PROBE_CHANNEL } from "./probe.js";
