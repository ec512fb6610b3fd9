import { lstatSync, mkdirSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { fnv1a64Hex, type AgentPaths } from "../agent-paths.js";

const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;
/** A memory filesystem is used only with this much free: preprocessed files are a few MiB at most each. */
const MIN_FREE = 256 << 20;

export interface ScratchDirOptions {
  /** Default /dev/shm. */
  readonly shm?: string;
  /** Default: statfs says tmpfs or ramfs with 256 MiB free. */
  readonly isMemoryFs?: (dir: string) => boolean;
}

function isRoomyMemoryFs(dir: string): boolean {
  const fs = statfsSync(dir);
  return (fs.type === TMPFS_MAGIC || fs.type === RAMFS_MAGIC) && fs.bavail * fs.bsize >= MIN_FREE;
}

/**
 * Where the agent's preprocessed files go: a private directory on /dev/shm when it is a memory
 * filesystem with room, else the agent's own directory. Each job writes and deletes two files there
 * (the `.i` and cpp's stderr); on ext4 creating and deleting inodes that fast made the kernel search
 * for free inodes past the recently deleted ones, about 6 % of the agent's CPU per job (perf), plus
 * the journal. The name is per user and per DISTCC_DIR; a name taken by someone else, or anything
 * that is not a directory of ours with mode 0700, is not used.
 */
export function prepareScratchDir(paths: AgentPaths, options: ScratchDirOptions = {}): string {
  const shm = options.shm ?? "/dev/shm";
  const uid = process.getuid?.() ?? 0;
  const dir = join(shm, `distcc-client-${uid}-${fnv1a64Hex(paths.stateDir)}`);
  try {
    if (!(options.isMemoryFs ?? isRoomyMemoryFs)(shm)) return paths.agentDir;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") return paths.agentDir;
    }
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return paths.agentDir;
    // A killed agent's leftovers.
    for (const f of readdirSync(dir)) if (f.startsWith("cpp-")) rmSync(join(dir, f), { force: true });
    return dir;
  } catch {
    return paths.agentDir;
  }
}

/**
 * Removes this process's files from a scratch directory (`cpp-<pid>-...`). The directory itself stays:
 * the next agent of the same DISTCC_DIR may already have started and be using it.
 */
export function removeOwnScratchFiles(dir: string, pid = process.pid): void {
  try {
    for (const f of readdirSync(dir)) if (f.startsWith(`cpp-${pid}-`)) rmSync(join(dir, f), { force: true });
  } catch {
    /* gone already */
  }
}
