import { JobFolderError } from "./errors.js";
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readSync,
  rmdirSync,
  statfsSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isErrno } from "./errno.js";
import { openJobFileSync, readJobFile } from "./job-file.js";

/** A fresh private folder for one job; `remove()` deletes it and everything in it. */
export interface JobFolder {
  readonly path: string;
  /** Creates a file of the job (never replacing one: O_EXCL). */
  writeFile(path: string, data: Uint8Array, mode: number): Promise<void>;
  /** Reads a file the compiler wrote. */
  readFile(path: string): Promise<Buffer>;
  remove(): Promise<void>;
}

// statfs f_type of the filesystems that live in memory (linux/magic.h).
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** Bytes free for us when `dir` is on tmpfs/ramfs; undefined on any other filesystem (or none). */
function memoryFilesystemFree(dir: string): number | undefined {
  try {
    const fs = statfsSync(dir);
    return fs.type === TMPFS_MAGIC || fs.type === RAMFS_MAGIC ? fs.bavail * fs.bsize : undefined;
  } catch (err) {
    // Missing, or not ours to look at: not a memory filesystem we can use. JobFolders.check() then
    // says what is wrong with the directory.
    if (isErrno(err, "ENOENT", "ENOTDIR", "EACCES", "EPERM")) return undefined;
    throw err;
  }
}

/** True when `dir` is on tmpfs/ramfs: no journal, no disk, every call returns in microseconds. */
export function isMemoryFilesystem(dir: string): boolean {
  return memoryFilesystemFree(dir) !== undefined;
}

/** /dev/shm is used by default only with this much free (a container's is often 64 MiB). */
const MIN_SHM_FREE = 1 << 30;

/**
 * Where job folders go when the embedder chose nothing: /dev/shm when it is a writable tmpfs with
 * 1 GiB free (a job's files never touch a disk or its journal, see JobFolders), else $TMPDIR or
 * /tmp.
 */
export function defaultTempDir(): string {
  const shm = "/dev/shm";
  try {
    accessSync(shm, constants.W_OK | constants.X_OK);
    if ((memoryFilesystemFree(shm) ?? 0) >= MIN_SHM_FREE) return shm;
  } catch (err) {
    // Missing or not ours to write: the default is then $TMPDIR or /tmp.
    if (!isErrno(err, "ENOENT", "ENOTDIR", "EACCES", "EPERM", "EROFS")) throw err;
  }
  return tmpdir();
}

/** Files up to this size are read synchronously from a memory filesystem (about 0.1 ms a MiB). */
const SYNC_READ_MAX = 4 << 20;

/** Entries removed between two turns of the event loop (~13 µs each on tmpfs: ~15 ms at most). */
const REMOVE_CHUNK = 1024;

/**
 * Removes a job folder's content with the fewest syscalls: readdir, unlink each file (a trivial
 * job's folder is 4 files). Synchronous calls on purpose: these are microsecond calls on a local
 * temp dir, and fs.rm's recursive walk (an lstat per entry, each a thread-pool round trip and a
 * promise) cost the server more CPU per job than the removal itself. But a pump tree can hold
 * 96,000 entries (1.3 s of blocked event loop for every client, attacker report B7): every
 * REMOVE_CHUNK entries it lets the event loop turn. Throws on anything unexpected.
 */
async function emptyTree(path: string, progress = { sinceYield: 0 }): Promise<void> {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      await emptyTree(child, progress);
      rmdirSync(child);
    } else unlinkSync(child);
    if (++progress.sinceYield >= REMOVE_CHUNK) {
      progress.sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The thorough removal, with retries: a compiler killed a moment ago may still be closing files in there. */
const removeThoroughly = (path: string): Promise<void> =>
  rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });

/** `distcc-server-<pid>-XXXXXX`: the pid of the server that made it. */
const FOLDER_NAME = /^distcc-server-(\d+)-[A-Za-z0-9]{6}$/;

/** True while a process with this pid exists (EPERM: it exists, it is someone else's). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Makes job folders `<dir>/distcc-server-<pid>-XXXXXX` (mode 0700, mkdtemp: never an existing
 * folder). The pid in the name lets a later server of the same temp dir and user find what a
 * server that died (kill -9, OOM) left behind: see removeStale.
 *
 * On a memory filesystem every file operation of a job is synchronous: each async call is a
 * thread-pool round trip (two thread wake-ups, a promise, a FileHandle for readFile/writeFile),
 * which on a busy machine cost more CPU than the tmpfs work itself (measured: docs/server.md).
 * On a disk the creation and removal of directories can wait ~1 ms on the journal (ext4 under
 * make -j8), which must not block the event loop, so there they stay asynchronous.
 */
export class JobFolders {
  /** `inMemory`: `dir` is on tmpfs/ramfs (found out once, here, unless given). */
  constructor(
    readonly dir: string,
    readonly inMemory: boolean = isMemoryFilesystem(dir),
  ) {}

  async create(): Promise<JobFolder> {
    const prefix = join(this.dir, `distcc-server-${process.pid}-`);
    return this.inMemory ? memoryFolder(mkdtempSync(prefix)) : diskFolder(await mkdtemp(prefix));
  }

  /**
   * Removes the job folders of dead servers: named by a pid that no longer runs, owned by this
   * user (another user's are theirs to clean, and we could not anyway). A live server's folders,
   * this one's included, are never touched. Returns the names removed.
   */
  async removeStale(): Promise<string[]> {
    const uid = process.getuid?.();
    const removed: string[] = [];
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if (isErrno(error, "ENOENT", "ENOTDIR", "EACCES")) return removed; // nothing of ours can be there
      throw error;
    }
    for (const name of names) {
      const m = FOLDER_NAME.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || processAlive(pid)) continue;
      const path = join(this.dir, name);
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st?.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      try {
        await removeThoroughly(path);
        removed.push(name);
      } catch (error) {
        // a file we cannot remove (made read-only by the compiler? another owner inside): left
        if (!isErrno(error, "EACCES", "EPERM", "ENOTEMPTY", "EBUSY", "EROFS")) throw error;
      }
    }
    return removed;
  }

  /** Fails with a clear message unless job folders can be made here (checked at start-up). */
  async check(): Promise<void> {
    const probe = await this.create().catch((err: Error) => {
      throw new JobFolderError(`cannot create job folders in ${this.dir}: ${err.message} (see --temp-dir)`, {
        cause: err,
      });
    });
    await probe.remove();
  }
}

function memoryFolder(path: string): JobFolder {
  let removal: Promise<void> | undefined;
  return {
    path,
    async writeFile(file, data, mode) {
      writeFileSync(file, data, { mode, flag: "wx" });
    },
    async readFile(file) {
      const { fd, size } = openJobFileSync(file);
      try {
        if (size <= SYNC_READ_MAX) {
          const buf = Buffer.allocUnsafe(size);
          let got = 0;
          while (got < size) {
            const n = readSync(fd, buf, got, size - got, got);
            if (n === 0) break;
            got += n;
          }
          return got === size ? buf : buf.subarray(0, got);
        }
      } finally {
        closeSync(fd);
      }
      // A big object: copying it would block the event loop for milliseconds.
      return readJobFile(file);
    },
    remove() {
      removal ??= (async () => {
        try {
          await emptyTree(path);
          rmdirSync(path);
        } catch {
          // Every failure of the quick way (ENOTEMPTY from a compiler still closing files, EACCES
          // of a directory it made read-only, ...) is retried the thorough way, whose own failure
          // reaches the caller.
          await removeThoroughly(path);
        }
      })();
      return removal;
    },
  };
}

function diskFolder(path: string): JobFolder {
  let removal: Promise<void> | undefined;
  return {
    path,
    writeFile: (file, data, mode) => writeFile(file, data, { mode, flag: "wx" }),
    readFile: (file) => readJobFile(file),
    remove() {
      removal ??= (async () => {
        try {
          await emptyTree(path);
          // The last rmdir (a journal write on ext4, ~0.5 ms) goes to the thread pool.
          await rmdir(path);
        } catch {
          // As in memoryFolder: any failure is retried the thorough way, which reports its own.
          await removeThoroughly(path);
        }
      })();
      return removal;
    },
  };
}
