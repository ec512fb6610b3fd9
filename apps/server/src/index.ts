export { DistccServerError, type ServerErrorCode } from "./errors.js";
export { AllowList, parseAllowRule, PRIVATE_RANGES, LOOPBACK_RANGES, type AllowRule } from "./allow-list.js";
export { LineLogger, silentLogger, type Logger, type LineLoggerOptions } from "./logger.js";
export { parseFlags } from "./flags.js";
export { loadConfigFile, parseConfig } from "./config-file.js";
export { defaultSettings, OPTION_SPECS, LOG_LEVELS, type Settings, type LogLevel } from "./settings.js";
export { JOB_RESULTS, formatJobSummary, type JobResult, type JobSummary } from "./job-result.js";
export type { StatsSnapshot, CompilerFigures } from "./stats.js";
