/**
 * distcc-client as a library, for embedders: where the agent lives, the compiler links, the native
 * launcher. The CLI is dist/cli.js. The launcher protocol, the slot broker and the command forms are
 * internal; tests import them from their modules.
 */
export { agentPaths, type AgentPaths } from "./agent-paths.js";
export { clientOptions, type ClientOptions } from "./env-options.js";
export { makeCompilerLinks, findCompilerNames, type LinksResult } from "./links.js";
export { buildNativeLauncher, cachedNativeLauncher, packageFiles } from "./native-launcher.js";
export { VERSION } from "./version.js";
