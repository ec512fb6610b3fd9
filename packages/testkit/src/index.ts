export { freePort, waitForPort } from "./ports.js";
export { startDistccd, type DistccdHandle, type DistccdOptions } from "./distccd.js";
export { makeTempDir } from "./tempdir.js";
export { sharedDir, vectorPath, hasCommand } from "./paths.js";
