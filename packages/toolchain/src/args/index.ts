// Command-line analysis: is a compile distributable, what it reads and writes, and the rewrites for
// the local preprocessor and for the server. Faithful to distcc 3.4 (spec sections 8.2-8.5, 9.1-9.5).
export {
  type Language,
  isSourceFile,
  isPreprocessedFile,
  preprocessedExtension,
  languageOfFile,
  findExtension,
  baseName,
} from "./language.js";
export { type LocalReason, type LocalReasonCode, describeLocalReason } from "./reasons.js";
export {
  expandResponseFiles,
  splitResponseFile,
  ResponseFileError,
  MAX_RESPONSE_FILE_EXPANSIONS,
  type ReadTextFile,
} from "./response-files.js";
export { expandWpOptions } from "./wp-options.js";
export {
  scanArgs,
  scanExpandedArgs,
  clangTarget,
  outputFromSource,
  type ScanOptions,
  type ScanResult,
  type DistributableScan,
  type LocalScan,
} from "./scan.js";
export { type DependencyPlan, planDependencies, quoteMakeTarget, replaceSuffix } from "./dependencies.js";
export { stripLocalArgs, stripOutputArgs, setActionOption } from "./strip.js";
export { preprocessorArgv, serverArgv, pumpDependencyInfo } from "./commands.js";
export {
  directivesOnlyBlocker,
  placeDependentWord,
  withPreprocessMode,
  DIRECTIVES_ONLY_OPTION,
  type PreprocessMode,
  type PreprocessorCompiler,
} from "./preprocess-mode.js";
export {
  rewriteServerCommand,
  rewriteServerJob,
  replaceInput,
  replaceOutput,
  ServerRewriteError,
  type ServerJobPaths,
  type ServerCommand,
} from "./server-rewrite.js";
export {
  findForbiddenServerOption,
  type ForbiddenOption,
  type ForbiddenCheckOptions,
} from "./forbidden.js";
export {
  qualifiedCompilerName,
  clangTargetArgs,
  isClangName,
  gnuTripleForPrefix,
  compilerBaseName,
} from "./compiler-name.js";
export { readDriverWords, canonicalWords, type DriverWord } from "./driver-words.js";
export { assemblerPartRefusal } from "./assembler-options.js";
export {
  decideServerArgv,
  serverJobCommand,
  type ServerPolicyOptions,
  type ServerArgvDecision,
  type ServerArgvRefusal,
  type AcceptedServerArgv,
  type PolicyJobPaths,
  type PolicyJobCommand,
} from "./server-policy.js";
export { fileOpeningDirective } from "./file-directives.js";
