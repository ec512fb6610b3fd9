export { freePort, waitForPort } from "./ports.js";
export { startDistccd, type DistccdHandle, type DistccdOptions } from "./distccd.js";
export { makeTempDir } from "./tempdir.js";
export { repoRoot, vectorPath, hasCommand } from "./paths.js";
export { unprivilegedUser, type UnprivilegedUser } from "./users.js";
export { waitFor, WaitTimeoutError, type Truthy, type WaitForOptions } from "./wait-for.js";
export { killTree, startMdnsLab, type MdnsLab, type MdnsLabOptions } from "./mdns-lab.js";
