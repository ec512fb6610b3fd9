// @x/distcc-includes: which files does a C/C++ compile read, without running cpp.
export {
  IncludeAnalyzer,
  IncludeAnalysisError,
  type AnalyzeRequest,
  type AnalysisResult,
  type IncludeClosure,
  type ReadFile,
} from "./analyzer.js";
export { SearchChainCache, SearchChainError, parseSearchChain, type SearchChain } from "./search-chain.js";
export {
  scanDirectives,
  type FileDirectives,
  type IncludeDirective,
  type IncludeKind,
  type IncludeOperand,
  type MacroDefinition,
} from "./directives.js";
export { readIncludeOptions, environmentBlocker, SEARCH_ENVIRONMENT, type IncludeOptions } from "./options.js";
export { resolveComputed, TooManyAlternatives } from "./computed.js";
export type { IncludesErrorCode } from "./errors.js";
