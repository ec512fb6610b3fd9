// Reading what a compiler left in its job folder. The compiler is the client's code's neighbour (a
// sandboxed compiler can be made to run the client's code): whatever it leaves may be a symlink to
// a file only the server can read, or a FIFO whose open would block the whole server. So a job file
// is opened without following a link and without blocking, and read only if it is a regular file.
import { DistccError } from "@x/distcc-errors";
import type { ServerErrorCode } from "./errors.js";
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A job file that is not a regular file (a symlink, a FIFO, a device, a directory). */
export class UnsafeJobFileError extends DistccError<ServerErrorCode> {
  constructor(message: string) {
    super("DISTCC_SERVER_ERR_JOB_FILE", message);
  }
}

function notRegular(path: string, what: string): UnsafeJobFileError {
  return new UnsafeJobFileError(
    `${path} is ${what}, not a regular file: refused (the compiler's output must be a plain file)`,
  );
}

/** Opens a job file for reading: its descriptor and size. ENOENT passes through (nothing written). */
export function openJobFileSync(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (error) {
    // O_NOFOLLOW on a symlink fails with ELOOP.
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw notRegular(path, "a symlink");
    throw error;
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw notRegular(path, stats.isFIFO() ? "a FIFO" : stats.isDirectory() ? "a directory" : "a special file");
  }
  return { fd, size: stats.size };
}

/** Reads a whole job file without blocking the event loop. */
export async function readJobFile(path: string): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOOP") throw notRegular(path, "a symlink");
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile())
      throw notRegular(path, stats.isFIFO() ? "a FIFO" : stats.isDirectory() ? "a directory" : "a special file");
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
