import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";

/** A fresh private folder for one job; `remove()` deletes it and everything in it. */
export interface JobFolder {
  readonly path: string;
  remove(): Promise<void>;
}

/** Creates `<tempDir>/distcc-server-XXXXXX` (mode 0700, mkdtemp: never an existing folder). */
export async function createJobFolder(tempDir: string): Promise<JobFolder> {
  const path = await mkdtemp(join(tempDir, "distcc-server-"));
  let removal: Promise<void> | undefined;
  return {
    path,
    remove() {
      // maxRetries: a compiler killed a moment ago may still be closing files in there.
      removal ??= rm(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
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
