import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import { chmodSync, closeSync, constants, existsSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { Socket } from "node:net";
import { basename, dirname, join } from "node:path";
import { classifyOutputTarget, type OutputKind } from "./output-target.js";

let tempCount = 0;

/** What became of a helper's result: written where the compile writes it, or left to the local compiler. */
export type OutputWrite = { kind: "written" } | { kind: "compile-here"; reason: string } | { kind: "cancelled" };

/** The job was cancelled while its output was written (the temp file is removed). */
class OutputWriteCancelled extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_CANCELLED", message, options);
  }
}

/**
 * Puts a compile result at `path` (absolute) as a local compile of `kind` would (classifyOutputTarget).
 * Whatever cannot be written so (no temp file in a read-only or missing directory, /dev/full, a FIFO
 * nobody reads) is `compile-here`: the caller runs the local compiler, whose own error and exit
 * status are then the job's, exactly as without distcc. No directory is ever created.
 */
export async function writeCompileOutput(
  path: string,
  data: Uint8Array,
  kind: OutputKind,
  signal?: AbortSignal,
): Promise<OutputWrite> {
  const target = classifyOutputTarget(path, kind);
  if (target.kind === "compile-here") return target;
  try {
    if (target.kind === "replace") writeFileAtomically(target.path, data, signal, target.exists, target.keepMode);
    else if (target.pipe) await writeToPipe(target.path, data, signal);
    else await writeInPlace(target.path, data, signal);
    return { kind: "written" };
  } catch (err) {
    if (signal?.aborted) return { kind: "cancelled" };
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { kind: "compile-here", reason: `${target.path}: ${code}` };
  }
}

/**
 * Writes a compile result atomically: a temp file beside the target, then rename, so a killed job
 * or a failed transfer never leaves a half-written object where make would trust it. The temp file
 * is removed if anything fails or `signal` aborts; the directory must exist (a local compile creates
 * none). `mode`: the new file's permissions (else 0666 less the umask, as a new file of the compiler). Synchronous on purpose: objects are small and the async path cost more agent CPU per job
 * (thread-pool hops) than the writes themselves. The old file is unlinked before the rename: ext4
 * flushes a file renamed OVER another one (auto_da_alloc) inside rename(2), which measured 1.2 ms on
 * average and up to 120 ms during a build, with every job of the agent waiting meanwhile; a rename
 * to a free name costs 0.1 ms. make never reads the object of a job that has not finished.
 */
function writeFileAtomically(
  path: string,
  data: Uint8Array,
  signal?: AbortSignal,
  exists = existsSync(path),
  mode?: number,
): void {
  // Unique in this process by the counter, among processes by the pid (no random bytes: a syscall).
  const temp = join(dirname(path), `.${basename(path)}.distcc-${process.pid}-${++tempCount}.tmp`);
  try {
    // `wx`: the temp name is ours alone; one already there (a recycled pid's leftover) is not touched.
    writeFileSync(temp, data, { mode: 0o666, flag: "wx" });
    if (mode !== undefined) chmodSync(temp, mode); // exact: the umask must not apply
    if (signal?.aborted) throw new OutputWriteCancelled("job cancelled");
    if (exists) unlinkOld(path);
    renameSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") removeTemp(temp);
    throw err;
  }
}

/** rename(2) to a name that is free: no filesystem flush inside the call (see writeFileAtomically). */
export function replaceWithoutFlush(from: string, to: string): void {
  // Asked first: after `make clean` nothing is there, and a failed unlink builds an exception with a
  // stack trace (per job, more CPU than the two system calls).
  if (existsSync(to)) unlinkOld(to);
  renameSync(from, to);
}

function unlinkOld(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // ENOENT: gone meanwhile
  }
}

function removeTemp(temp: string): void {
  try {
    unlinkSync(temp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err; // ENOENT: never created
  }
}

/**
 * An existing special file (/dev/null, a character device): opened as it is (never created, never
 * truncated away by a rename) and written. Async: a device may block, the agent's loop must not.
 */
async function writeInPlace(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  const file = await open(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOCTTY);
  try {
    if (signal?.aborted) throw new OutputWriteCancelled("job cancelled");
    await file.writeFile(data);
  } finally {
    await file.close();
  }
}

/**
 * A FIFO (`-S -o fifo`): opened without blocking, so a FIFO nobody reads is ENXIO (the local compiler
 * then waits for its reader, as without distcc) instead of an agent thread stuck in open(2); the
 * descriptor is then written as a stream, which waits for the reader without blocking the loop.
 */
async function writeToPipe(path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: false, writable: true });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      pipe.destroy();
      reject(new OutputWriteCancelled("job cancelled"));
    };
    if (signal?.aborted) return stop();
    signal?.addEventListener("abort", stop, { once: true });
    pipe.once("error", (err) => {
      signal?.removeEventListener("abort", stop);
      pipe.destroy();
      reject(err);
    });
    pipe.end(data, () => {
      signal?.removeEventListener("abort", stop);
      pipe.destroy();
      resolve();
    });
  });
}
