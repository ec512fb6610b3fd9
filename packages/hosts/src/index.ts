export type {
  Compression,
  HostEntry,
  HostList,
  HostWarning,
  HostWarningCode,
  LocalHostEntry,
  ParseHostListOptions,
  ProtocolVersion,
  SshHostEntry,
  TcpHostEntry,
} from "./types.js";
export {
  HOST_WARNING_CODES,
  DEFAULT_LOCAL_SLOTS,
  DEFAULT_LOCAL_SLOTS_CPP,
  DEFAULT_LOCALHOST_LIMIT,
  DEFAULT_PORT,
  DEFAULT_REMOTE_LIMIT,
} from "./types.js";
export { HostSpecError, type HostSpecProblem, type HostsErrorCode } from "./errors.js";
export { parseHostList } from "./parse.js";
export { formatHostEntry, formatHostList } from "./format.js";
export { totalJobs } from "./jobs.js";
export { slotName } from "./slots.js";
export { findHostList, type FindHostListOptions, type FoundHostList } from "./find.js";
export { glibcRandom } from "./glibc-random.js";
export { hostEntrySchema, hostListSchema, hostWarningSchema } from "./schema.js";
