// distcc-server as a library: start a distccd-compatible server inside your own process.
export { startServer, createJobService, allowListFor, SERVER_LIMITS, type ServerOptions, type DistccServer, type CloseOptions, type JobService } from "./server.js";
export { serveJob } from "./serve-job.js";
export { checkArgv } from "./check-request.js";
export type { CompilerWhitelist, WhitelistDecision, IdentityDecision } from "./whitelist.js";
export { CmdListWhitelist } from "./cmdlist-whitelist.js";
export { DistccServerError, type ServerErrorCode } from "./errors.js";
export { AllowList, parseAllowRule, PRIVATE_RANGES, LOOPBACK_RANGES, type AllowRule } from "./allow-list.js";
export { LineLogger, silentLogger, type Logger, type LineLoggerOptions } from "./logger.js";
export { parseFlags } from "./flags.js";
export { loadConfigFile, parseConfig, configFileSchema } from "./config-file.js";
export { defaultSettings, OPTION_SPECS, LOG_LEVELS, type Settings, type LogLevel } from "./settings.js";
export { resolveSettings, serverOptionsFrom, runCli } from "./cli-main.js";
export { JOB_RESULTS, formatJobSummary, type JobResult, type JobSummary } from "./job-result.js";
export { renderDistccdStats, renderJsonStats, renderPrometheus } from "./stats-render.js";
export type { StatsSnapshot, CompilerFigures } from "./stats.js";
export { PumpTreeError } from "./pump-tree.js";
