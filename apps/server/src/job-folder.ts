import { readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { mkdtemp, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";

/** A fresh private folder for one job; `remove()` deletes it and everything in it. */
export interface JobFolder {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Removes a job folder with the fewest syscalls: readdir, unlink each file, rmdir (a trivial job's
 * folder is 4 files). Synchronous on purpose: these are microsecond calls on a local temp dir, and
 * fs.rm's recursive walk (an lstat per entry, each a thread-pool round trip and a promise) cost
 * the server more CPU per job than the removal itself. Throws on anything unexpected.
 */
function emptyTreeSync(path: string): void {
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      emptyTreeSync(child);
      rmdirSync(child);
    } else unlinkSync(child);
  }
}

/** Creates `<tempDir>/distcc-server-XXXXXX` (mode 0700, mkdtemp: never an existing folder). */
export async function createJobFolder(tempDir: string): Promise<JobFolder> {
  // Async: creating a directory on ext4 can wait ~1 ms on the journal under load (measured with
  // --cpu-prof during make -j8), which must not block the event loop.
  const path = await mkdtemp(join(tempDir, "distcc-server-"));
  let removal: Promise<void> | undefined;
  return {
    path,
    remove() {
      removal ??= (async () => {
        try {
          emptyTreeSync(path);
          // The last rmdir (a journal write on ext4, ~0.5 ms) goes to the thread pool.
          await rmdir(path);
        } catch {
          // A compiler killed a moment ago may still be creating or closing files in there, or a
          // folder lacks write permission: the thorough removal, with retries.
          await rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
        }
      })();
      return removal;
    },
  };
}

/** Fails with a clear message unless job folders can be made in `tempDir` (checked at start-up). */
export async function checkTempDir(tempDir: string): Promise<void> {
  const probe = await createJobFolder(tempDir).catch((err: Error) => {
    throw new Error(`cannot create job folders in ${tempDir}: ${err.message} (see --temp-dir)`);
  });
  await probe.remove();
}
