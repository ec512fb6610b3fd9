/**
 * The Node launcher's way to its agent: connect only to a socket that we bound, in a directory only
 * we can change, before a single byte (argv, the whole environment) is sent.
 *
 * Node has no SO_PEERCRED (the native launcher checks that too). What stands in for it: the
 * directory is opened once, checked through that descriptor (owner, 0700), and the socket is
 * reached through /proc/self/fd/N/NAME, so nobody can swap the directory between the check and the
 * connect; inside a 0700 directory of ours only we (and root) can put or replace a socket.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, type Stats } from "node:fs";
import { connect, type Socket } from "node:net";
import { basename } from "node:path";
import type { AgentPaths } from "../agent-paths.js";
import {
  agentSocketProblem,
  privateDirProblem,
  UnsafeAgentPathError,
  verifyPrivateDirIfPresent,
} from "../private-dir.js";

function tryConnect(path: string): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => resolve(s));
    s.once("error", () => resolve(undefined));
  });
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * A connection to the agent of `paths`, or undefined when none listens there (start one).
 * Throws UnsafeAgentPathError when the directory or the socket is not ours: refuse that agent.
 */
export async function connectToAgent(paths: AgentPaths, uid: number): Promise<Socket | undefined> {
  if (!verifyPrivateDirIfPresent(paths.agentDir, uid)) return undefined;
  let dirFd: number;
  try {
    dirFd = openSync(paths.agentDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return undefined;
    if (errnoOf(err) === "ELOOP" || errnoOf(err) === "ENOTDIR") {
      throw new UnsafeAgentPathError(
        paths.agentDir,
        `${paths.agentDir} was replaced by something that is not a directory`,
      );
    }
    throw err;
  }
  try {
    const dirProblem = privateDirProblem(paths.agentDir, fstatSync(dirFd), uid);
    if (dirProblem) throw new UnsafeAgentPathError(paths.agentDir, dirProblem);
    const throughFd = existsSync("/proc/self/fd")
      ? `/proc/self/fd/${dirFd}/${basename(paths.socketPath)}`
      : paths.socketPath;
    let st: Stats;
    try {
      st = lstatSync(throughFd);
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return undefined;
      throw err;
    }
    const socketProblem = agentSocketProblem(paths.socketPath, st, uid);
    if (socketProblem) throw new UnsafeAgentPathError(paths.socketPath, socketProblem);
    return await tryConnect(throughFd);
  } finally {
    closeSync(dirFd);
  }
}
