import { accessSync, constants, readFileSync } from "node:fs";

export interface FindHostListOptions {
  /** Home directory for `~/.distcc/hosts` (default `env.HOME`). */
  homeDir?: string;
  /** Directory holding `distcc/hosts` (default `/etc`, as on Debian). */
  sysconfDir?: string;
  /** Reads a file, or returns undefined when it is not readable (default: fs.readFileSync). */
  readFile?: (path: string) => string | undefined;
}

export interface FoundHostList {
  text: string;
  /** "$DISTCC_HOSTS" or the path of the file read: pass it to parseHostList as `source`. */
  source: string;
}

/** access/read answers that mean "no such readable file here" (distcc then looks at the next place). */
function isMiss(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EACCES" || code === "ELOOP" || code === "ENAMETOOLONG";
}

function readIfReadable(path: string): string | undefined {
  // distcc decides with access(R_OK), then reads: a readable path that cannot be read (a
  // directory) stops the lookup with no hosts rather than falling through to the next file.
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (isMiss(err)) return undefined;
    throw err;
  }
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    // A directory, or a file gone or locked since access(): no hosts, as distcc.
    if (isMiss(err) || (err as NodeJS.ErrnoException).code === "EISDIR") return "";
    throw err;
  }
}

/**
 * Where distcc 3.4 takes its hosts list from (`dcc_get_hostlist`): `$DISTCC_HOSTS` when the
 * variable exists, even empty; else `$DISTCC_DIR/hosts` (or `~/.distcc/hosts` when DISTCC_DIR is
 * unset); else `<sysconfdir>/distcc/hosts`. Undefined when none exists (distcc compiles locally).
 */
export function findHostList(env: NodeJS.ProcessEnv, opts: FindHostListOptions = {}): FoundHostList | undefined {
  const fromEnv = env.DISTCC_HOSTS;
  if (fromEnv !== undefined) return { text: fromEnv, source: "$DISTCC_HOSTS" };
  const read = opts.readFile ?? readIfReadable;
  const home = opts.homeDir ?? env.HOME;
  const top = env.DISTCC_DIR !== undefined ? env.DISTCC_DIR : home !== undefined ? `${home}/.distcc` : undefined;
  if (top !== undefined) {
    const path = `${top}/hosts`;
    const text = read(path);
    if (text !== undefined) return { text, source: path };
  }
  const path = `${opts.sysconfDir ?? "/etc"}/distcc/hosts`;
  const text = read(path);
  if (text !== undefined) return { text, source: path };
  return undefined;
}
