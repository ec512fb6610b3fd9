// distcc-server as a library: start a distccd-compatible server inside your own process.
export {
  startServer,
  createJobService,
  allowListFor,
  SERVER_LIMITS,
  type ServerOptions,
  type DistccServer,
  type CloseOptions,
  type JobService,
} from "./server.js";
export type { CompilerWhitelist, WhitelistDecision, IdentityDecision } from "./whitelist.js";
export { CmdListWhitelist } from "./cmdlist-whitelist.js";
export { DistccServerError, type ServerErrorCode } from "./errors.js";
export { AllowList, parseAllowRule, PRIVATE_RANGES, LOOPBACK_RANGES, type AllowRule } from "./allow-list.js";
export { LineLogger, silentLogger, type Logger, type LineLoggerOptions } from "./logger.js";
export { parseFlags } from "./flags.js";
export { loadConfigFile, parseConfig, configFileSchema, configJsonSchema } from "./config-file.js";
export { defaultSettings, OPTION_SPECS, LOG_LEVELS, type Settings, type LogLevel } from "./settings.js";
export { SERVER_DEFAULTS, SERVER_OPTION_DEFAULTS } from "./defaults.js";
export type { EffectiveOptions } from "./effective-options.js";
export { resolveSettings, serverOptionsFrom, runCli } from "./cli-main.js";
export { JOB_RESULTS, formatJobSummary, type JobResult, type JobSummary } from "./job-result.js";
export { renderDistccdStats, renderJsonStats, renderPrometheus } from "./stats-render.js";
export type { StatsSnapshot, CompilerFigures } from "./stats.js";
export { PumpTreeError } from "./pump-tree.js";
export { runCompiler, type CompilerRun, type CompilerOutcome } from "./run-compiler.js";
export { NativeLauncher } from "./native-launcher.js";
export { inlineLauncher, type Launcher, type LaunchRequest, type ProcessLimits } from "./launcher.js";
export {
  BwrapSandbox,
  chooseSandbox,
  probeBwrap,
  findBwrap,
  SANDBOX_MODES,
  type SandboxMode,
  type SandboxState,
} from "./sandbox.js";
export { JobFolders } from "./job-folder.js";
