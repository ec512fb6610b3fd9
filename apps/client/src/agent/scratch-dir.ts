import { lstatSync, mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { fnv1a64Hex, type AgentPaths } from "../agent-paths.js";
import { isErrno, isLookupMiss } from "../errno.js";

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
/** A memory filesystem is used only with this much free: preprocessed files are a few MiB at most each. */
const MIN_FREE = 256 << 20;

export interface ScratchDirOptions {
  /** Default /dev/shm. */
  readonly shm?: string;
  /** Default: statfs says tmpfs or ramfs with 256 MiB free. */
  readonly isMemoryFs?: (dir: string) => boolean;
  /** Default process.pid: the directory is this agent's alone. */
  readonly pid?: number;
}

function isRoomyMemoryFs(dir: string): boolean {
  const fs = statfsSync(dir);
  return (fs.type === TMPFS_MAGIC || fs.type === RAMFS_MAGIC) && fs.bavail * fs.bsize >= MIN_FREE;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A directory of ours, not a symlink, that nobody else can enter. */
function privateDirOf(path: string, uid: number): boolean {
  const st = lstatSync(path);
  return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
}

/**
 * Where the agent's preprocessed files go: a private directory on /dev/shm when it is a memory
 * filesystem with room, else the agent's own directory. Each job writes and deletes two files there
 * (the `.i` and cpp's stderr); on ext4 creating and deleting inodes that fast made the kernel search
 * for free inodes past the recently deleted ones, about 6 % of the agent's CPU per job (perf), plus
 * the journal. The name is per user, per DISTCC_DIR and per agent process, so an agent leaving never
 * removes files of the next one; the directories of agents that died without cleaning up are removed
 * by the next agent of the same DISTCC_DIR. A name taken by someone else, or anything that is not a
 * directory of ours with mode 0700, is not used.
 */
export function prepareScratchDir(paths: AgentPaths, options: ScratchDirOptions = {}): string {
  const shm = options.shm ?? "/dev/shm";
  const uid = process.getuid?.() ?? 0;
  const pid = options.pid ?? process.pid;
  const prefix = `distcc-client-${uid}-${fnv1a64Hex(paths.stateDir)}-`;
  const dir = join(shm, `${prefix}${pid}`);
  try {
    if (!(options.isMemoryFs ?? isRoomyMemoryFs)(shm)) return paths.agentDir;
    for (const name of readdirSync(shm)) {
      if (!name.startsWith(prefix)) continue;
      const owner = Number(name.slice(prefix.length));
      if (!Number.isInteger(owner) || owner === pid || alive(owner)) continue;
      try {
        if (privateDirOf(join(shm, name), uid)) rmSync(join(shm, name), { recursive: true, force: true });
      } catch (err) {
        // Gone (another agent swept it first), or not ours to remove: leave it.
        if (!isErrno(err, "ENOENT", "EACCES", "EPERM")) throw err;
      }
    }
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return paths.agentDir;
    }
    return privateDirOf(dir, uid) ? dir : paths.agentDir;
  } catch (err) {
    // No /dev/shm, or not usable by us: the agent's own directory always is.
    if (isLookupMiss(err) || isErrno(err, "EPERM", "EROFS", "ENOSPC", "EDQUOT", "ENOSYS")) return paths.agentDir;
    throw err;
  }
}

/** Removes a directory made by prepareScratchDir, with what is left in it (never the agent's own). */
export function removeScratchDir(dir: string, paths: AgentPaths): void {
  if (dir === paths.agentDir) return;
  rmSync(dir, { recursive: true, force: true });
}
