/**
 * Checks that a directory or socket of the agent can only have been made by us. Another local user
 * who creates the agent's directory first (the fallbacks live in /tmp) and listens there would get
 * every launcher's environment and could tell it to run anything (issue 14, class 3). Must agree with
 * the checks in native/launcher.c.
 */
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "./errors.js";
import { lstatSync, mkdirSync, readFileSync, type Stats } from "node:fs";
import { isLookupMiss } from "./errno.js";

export class UnsafeAgentPathError extends DistccError<ClientErrorCode> {
  constructor(
    readonly path: string,
    /** What is wrong, naming the path and its owner. */
    readonly reason: string,
  ) {
    super("DISTCC_CLIENT_ERR_UNSAFE_AGENT_PATH", reason);
  }
}

/** "uid 999 (distcc-ci)": a refusal names the owner, by name when /etc/passwd has it. */
function userLabel(uid: number): string {
  try {
    const line = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.split(":")[2] === String(uid));
    const name = line?.split(":")[0];
    if (name) return `uid ${uid} (${name})`;
  } catch (err) {
    if (!isLookupMiss(err)) throw err; // else no passwd file: the number alone
  }
  return `uid ${uid}`;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

/** Why `st` (from lstat or fstat of `path`) is not a directory that only `uid` can change, or undefined. */
export function privateDirProblem(path: string, st: Stats, uid: number): string | undefined {
  if (st.isSymbolicLink()) return `${path} is a symbolic link, not a directory of yours`;
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (st.uid !== uid) return `${path} belongs to ${userLabel(st.uid)}, not to you (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) {
    return `${path} has mode ${octal(st.mode)}: other users could have replaced the agent there (expected 0700: chmod 700 ${path})`;
  }
  return undefined;
}

/** Why `st` (lstat of `path`) is not a socket bound by `uid`, or undefined. */
export function agentSocketProblem(path: string, st: Stats, uid: number): string | undefined {
  if (!st.isSocket()) return `${path} is not a socket`;
  if (st.uid !== uid) return `${path} belongs to ${userLabel(st.uid)}, not to you (uid ${uid})`;
  return undefined;
}

/**
 * Creates `path` with mode 0700 unless it exists, then verifies it: ours, a real directory, mode
 * 0700. Never loosens or adopts a directory someone else made.
 */
export function ensurePrivateDir(path: string, uid: number): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const problem = privateDirProblem(path, lstatSync(path), uid);
  if (problem) throw new UnsafeAgentPathError(path, problem);
}

/**
 * Verifies `path` if it exists; false when it does not (nothing to trust or distrust yet).
 * Throws UnsafeAgentPathError when it exists and is not a private directory of ours.
 */
export function verifyPrivateDirIfPresent(path: string, uid: number): boolean {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw err;
  }
  const problem = privateDirProblem(path, st, uid);
  if (problem) throw new UnsafeAgentPathError(path, problem);
  return true;
}
