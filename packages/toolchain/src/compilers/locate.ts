import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import path from "node:path";
import { isErrno, LOOKUP_MISSES } from "../errno.js";

/** Directories of a PATH-style string, empty entries dropped (they would mean "cwd", never wanted here). */
export function splitPathList(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(path.delimiter).filter((d) => d.length > 0 && path.isAbsolute(d));
}

/** True when `file` is a regular file (after symlinks) this process may execute. */
export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await stat(file);
    if (!st.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch (error) {
    if (isErrno(error, ...LOOKUP_MISSES)) return false;
    throw error;
  }
}

/** execvp-style lookup of a bare name in `dirs`, first hit wins. */
export async function findInDirs(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
