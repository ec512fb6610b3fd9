// Starting one helper for a bench: Debian's distccd with the flags every distcc figure in
// bench/BASELINE-distcc.md was measured with, our distcc-server, or any command line given as a
// template (SERVER_CMD, with %PORT% %JOBS% %LOG%).
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitPort } from "./system.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const clientCli = join(repoRoot, "apps/client/dist/cli.js");
export const serverCli = join(repoRoot, "apps/server/dist/cli.js");

/** The flags distccd and ours share: this machine only, the port, the job slots, the log file. */
function commonFlags({ port, jobs, logFile }) {
  return [
    "--no-detach",
    "--allow",
    "127.0.0.1",
    "--listen",
    "127.0.0.1",
    "--port",
    String(port),
    "--jobs",
    String(jobs),
    "--log-file",
    logFile,
  ];
}

/** `--nice 0`: distccd otherwise renices itself +5 and loses CPU to whatever else runs on a shared box. */
export function distccdArgv({ port, jobs, logFile, logLevel = "info" }) {
  return ["distccd", "--daemon", ...commonFlags({ port, jobs, logFile }), "--nice", "0", "--log-level", logLevel];
}

/** `flags`: more of the server's flags, given before the common ones. */
export function oursServerArgv({ port, jobs, logFile, flags = [] }) {
  return [process.execPath, serverCli, ...flags, ...commonFlags({ port, jobs, logFile })];
}

/** A SERVER_CMD template split on blanks (no quoting: the placeholders are the only variable parts). */
export function templateArgv(template, { port, jobs, logFile }) {
  return template
    .replaceAll("%PORT%", String(port))
    .replaceAll("%JOBS%", String(jobs))
    .replaceAll("%LOG%", logFile)
    .split(/\s+/)
    .filter(Boolean);
}

/**
 * Starts argv (prefixed by `entry`, e.g. a cgroup entry script) through `procs` and waits for the port.
 * The log file is made world-writable first: distccd started as root drops to user distccd.
 * Returns the server's pid (its process group).
 */
export async function startServer(procs, argv, { port, logFile, env, entry }) {
  writeFileSync(logFile, "");
  chmodSync(logFile, 0o666);
  const { pid, done } = procs.run(entry ? [entry, ...argv] : argv, {
    env,
    logFile: `${logFile}.stdout`,
    capture: false,
  });
  const up = await Promise.race([waitPort(port), done.then(() => false)]);
  if (!up)
    throw new Error(
      `server did not come up on 127.0.0.1:${port}: ${argv.join(" ")}; see ${logFile} and ${logFile}.stdout`,
    );
  return pid;
}

/** Jobs the server logged as compiled (distccd and ours both write COMPILE_OK per job). */
export function compileOks(logFile) {
  try {
    return (readFileSync(logFile, "utf8").match(/COMPILE_OK/g) ?? []).length;
  } catch {
    return 0;
  }
}
