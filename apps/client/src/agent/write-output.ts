import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes a compile result atomically: a temp file beside the target, then rename, so a killed job
 * or a failed transfer never leaves a half-written object where make would trust it. The parent
 * directory is created as distcc does. The temp file is removed if anything fails or `signal` aborts.
 * Synchronous on purpose: objects are small and the async path cost more agent CPU per job
 * (thread-pool hops) than the writes themselves.
 */
export function writeFileAtomically(path: string, data: Uint8Array, signal?: AbortSignal): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.distcc-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(temp, data, { mode: 0o666 });
    if (signal?.aborted) throw new Error("job cancelled");
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* never created */
    }
    throw err;
  }
}
