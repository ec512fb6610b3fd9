import { randomBytes } from "node:crypto";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes a compile result atomically: a temp file beside the target, then rename, so a killed job
 * or a failed transfer never leaves a half-written object where make would trust it. The parent
 * directory is created as distcc does. The temp file is removed if anything fails or `signal` aborts.
 */
export async function writeFileAtomically(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.distcc-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o666 });
    if (signal?.aborted) throw new Error("job cancelled");
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
