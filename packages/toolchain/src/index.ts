// @x/distcc-toolchain: what a compiler command line does and which compiler serves it. Each name below
// is used by the apps (or the benches); the README's "Public API" lists them. Everything else in
// src/ is internal and may change.

// Command-line analysis (client side): is a compile distributable, and the commands it runs.
export {
  scanArgs,
  scanExpandedArgs,
  type ScanOptions,
  type ScanResult,
  type DistributableScan,
  type LocalScan,
} from "./args/scan.js";
export { describeLocalReason, type LocalReason, type LocalReasonCode } from "./args/reasons.js";
export { preprocessedExtension } from "./args/language.js";
export { preprocessorArgv, serverArgv } from "./args/commands.js";
export { stripLocalArgs } from "./args/strip.js";
export {
  directivesOnlyBlocker,
  placeDependentWord,
  withPreprocessMode,
  type PreprocessMode,
  type PreprocessorCompiler,
} from "./args/preprocess-mode.js";

// Command-line policy (server side): what a server runs for a received command, and what it refuses.
export {
  decideServerArgv,
  serverJobCommand,
  type ServerPolicyOptions,
  type ServerArgvDecision,
  type AcceptedServerArgv,
  type PolicyJobPaths,
  type PolicyJobCommand,
} from "./args/server-policy.js";
export { rewriteServerCommand, ServerRewriteError, type ServerJobPaths } from "./args/server-rewrite.js";
export { findForbiddenServerOption, type ForbiddenOption, type ForbiddenCheckOptions } from "./args/forbidden.js";
export { fileOpeningDirective } from "./args/file-directives.js";

// Compilers: what a compiler is, which installed one serves a request, and what its output targets.
export type { CompilerAbi, CompilerFamily, CompilerIdentity, CompilerKind } from "./compilers/identity.js";
export { CompilerToolchainError } from "./compilers/errors.js";
export type { ToolchainErrorCode } from "./errors.js";
export { IdentityCache, type IdentityCacheOptions } from "./compilers/identity-cache.js";
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
} from "./compilers/toolchain-index.js";
export { normalizeTriple, type NormalizedTriple } from "./compilers/triples.js";
export { parseCompilerName, type CompilerName } from "./compilers/compiler-names.js";
export { wireCompilerName, type WireCompilerName } from "./compilers/wire-name.js";
export { checkObjectTarget, readElfTarget, type ElfTarget } from "./compilers/elf-target.js";
export { installHint } from "./compilers/install-hint.js";
