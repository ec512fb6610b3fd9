import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let tempCount = 0;

/**
 * Writes a compile result atomically: a temp file beside the target, then rename, so a killed job
 * or a failed transfer never leaves a half-written object where make would trust it. The parent
 * directory is created as distcc does. The temp file is removed if anything fails or `signal` aborts.
 * Synchronous on purpose: objects are small and the async path cost more agent CPU per job
 * (thread-pool hops) than the writes themselves. The old file is unlinked before the rename: ext4
 * flushes a file renamed OVER another one (auto_da_alloc) inside rename(2), which measured 1.2 ms on
 * average and up to 120 ms during a build, with every job of the agent waiting meanwhile; a rename
 * to a free name costs 0.1 ms. make never reads the object of a job that has not finished.
 */
export function writeFileAtomically(path: string, data: Uint8Array, signal?: AbortSignal): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // Unique in this process by the counter, among processes by the pid (no random bytes: a syscall).
  const temp = join(dir, `.${basename(path)}.distcc-${process.pid}-${++tempCount}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o666 });
    if (signal?.aborted) throw new Error("job cancelled");
    replaceWithoutFlush(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* never created */
    }
    throw err;
  }
}

/** rename(2) to a name that is free: no filesystem flush inside the call (see writeFileAtomically). */
export function replaceWithoutFlush(from: string, to: string): void {
  // Asked first: after `make clean` nothing is there, and a failed unlink builds an exception with a
  // stack trace (per job, more CPU than the two system calls).
  if (existsSync(to)) {
    try {
      unlinkSync(to);
    } catch {
      /* gone meanwhile */
    }
  }
  renameSync(from, to);
}
