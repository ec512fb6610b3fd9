/** Library surface of distcc-client (for tests and embedders); the CLI is dist/cli.js. */
export { agentPaths, type AgentPaths } from "./agent-paths.js";
export { classifyInvocation, findCompiler, safeguardLevel, type Invocation, type ClientCommand } from "./invocation.js";
export { clientOptions, envBoolean, type ClientOptions } from "./env-options.js";
export {
  encodeLaunchRequest,
  decodeLaunchBody,
  LaunchRequestDecoder,
  AgentFrameDecoder,
  encodeFrame,
  LaunchProtocolError,
  type LaunchRequest,
  type AgentFrame,
  type RunLocally,
} from "./launch-frames.js";
export { SlotBroker, SlotCancelledError, type Lease, type Chooser } from "./agent/slot-broker.js";
export { makeCompilerLinks, findCompilerNames, type LinksResult } from "./links.js";
export { buildNativeLauncher, cachedNativeLauncher, packageFiles } from "./native-launcher.js";
export { VERSION } from "./version.js";
