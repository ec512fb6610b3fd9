import { accessSync, constants, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, resolve } from "node:path";
import { isErrno } from "../errno.js";

/** What a local compile writes: an object (`-c`, written by the assembler) or assembler text (`-S`, by cc1). */
export type OutputKind = "compile" | "assemble";

/**
 * How the agent puts a helper's result at the output path, so that the target ends up as a local
 * compile would leave it:
 * - `replace`: a temp file beside `path` and a rename (atomic). `path` is the output itself, or the
 *   file its symlink points to when the local compiler would write through the link; `keepMode`:
 *   the permissions of the file the compiler would have rewritten in place (they stay).
 * - `in-place`: the output exists and is not a regular file (/dev/null, a FIFO, ...): opened for
 *   writing as it is, never created, renamed over or unlinked.
 * - `compile-here`: only the local compiler can say what happens (its own error, or a write the agent
 *   cannot reproduce): the job is compiled locally.
 */
export type OutputTarget =
  | { kind: "replace"; path: string; exists: boolean; keepMode?: number }
  | { kind: "in-place"; path: string; pipe: boolean }
  | { kind: "compile-here"; reason: string };

/**
 * Decides how to write `path` (absolute) the way gcc would. gcc's writers differ: the assembler (bfd)
 * unlinks a non-empty regular file or symlink and creates a new file, but opens an empty or special
 * one as it is; cc1 (`-S`) always opens the path as it is, through symlinks. A rename gives the same
 * result as unlink-and-create and is atomic; everything the agent cannot do the same way (a dangling
 * symlink, a file it may not write, a pipe the assembler would fail to seek on) is left to gcc.
 */
export function classifyOutputTarget(path: string, kind: OutputKind): OutputTarget {
  if (isOpenersOwnPath(path)) return compileHere(path, "the caller's own file");
  let link: Stats | undefined;
  try {
    link = lstatSync(path, { throwIfNoEntry: false });
  } catch (err) {
    return compileHere(path, err); // EACCES, ENOTDIR, ELOOP on the way there
  }
  if (!link) return { kind: "replace", path, exists: false };
  if (link.isSymbolicLink()) return throughSymlink(path, kind);
  if (link.isFile()) return writable(path) ? existingFile(path, link, kind) : compileHere(path, "not writable");
  return special(path, link, kind);
}

function throughSymlink(path: string, kind: OutputKind): OutputTarget {
  if (linksToOpenersOwnFile(path)) return compileHere(path, "a link to the caller's own file");
  let target: Stats;
  try {
    target = statSync(path);
  } catch (err) {
    // A dangling link: gcc creates the file it names (or fails); the agent does not guess which.
    return compileHere(path, err);
  }
  if (!target.isFile()) return special(path, target, kind);
  // The assembler replaces a link to a non-empty file by a new file; otherwise the link is kept
  // and the file it names gets the output.
  if (kind === "compile" && target.size !== 0) return { kind: "replace", path, exists: true };
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch (err) {
    return compileHere(path, err);
  }
  return writable(real) ? existingFile(real, target, kind) : compileHere(path, "not writable");
}

/** An existing regular file: the assembler replaces a non-empty one, anything else is rewritten as it is. */
function existingFile(path: string, stats: Stats, kind: OutputKind): OutputTarget {
  const replaced = kind === "compile" && stats.size !== 0;
  return replaced
    ? { kind: "replace", path, exists: true }
    : { kind: "replace", path, exists: true, keepMode: stats.mode & 0o7777 };
}

/** Not a regular file: written as it is, or left to gcc when the writer would fail on it. */
function special(path: string, stats: Stats, kind: OutputKind): OutputTarget {
  if (stats.isDirectory()) return compileHere(path, "a directory");
  const pipe = stats.isFIFO() || stats.isSocket();
  // The assembler seeks while writing an object: into a pipe it fails ("Illegal seek"), and that
  // failure is what the user must see.
  if (pipe && kind === "compile") return compileHere(path, "a pipe, which the assembler cannot seek in");
  return { kind: "in-place", path, pipe };
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch (error) {
    // Each of access(2)'s failures means this process may not write it (gcc then says why).
    if (isErrno(error, "EACCES", "EROFS", "EPERM", "ENOENT", "ENOTDIR", "ELOOP", "ETXTBSY", "ENAMETOOLONG"))
      return false;
    throw error;
  }
}

function compileHere(path: string, why: unknown): OutputTarget {
  const detail = typeof why === "string" ? why : ((why as NodeJS.ErrnoException).code ?? String(why));
  return { kind: "compile-here", reason: `${path}: ${detail}` };
}

/** Paths that name the opener's own files: /dev/stdout opened by the agent is the agent's stdout. */
const OPENER_RELATIVE = /^\/(?:dev\/(?:stdin|stdout|stderr|fd(?:\/|$))|proc\/)/;

/** How many links `linksToOpenersOwnFile` follows (the kernel's own limit is 40). */
const MAX_LINK_HOPS = 40;

/**
 * Whether `path` (absolute) means a different file to each process that opens it (/dev/stdout,
 * /dev/fd/N, /proc/self/...): only the launcher's own compiler can write it. By its name alone (no
 * system call: asked for every job); a symlink to one is found when the output is written.
 */
export function isOpenersOwnPath(path: string): boolean {
  return OPENER_RELATIVE.test(path);
}

/**
 * Whether the symlink `link` leads to an opener's own file (`out.s -> /dev/stdout`). Follows the
 * links of the last component; a link to /proc through a parent directory is not looked for (only
 * a made-up layout has one).
 */
function linksToOpenersOwnFile(link: string): boolean {
  let current = link;
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    let next: string;
    try {
      next = readlinkSync(current);
    } catch (error) {
      // These end the chain with the same answer: EINVAL is its last file (not a link); ENOENT,
      // EACCES, ELOOP are met again by the stat that follows, which hands the job to gcc.
      if (isErrno(error, "EINVAL", "ENOENT", "ENOTDIR", "EACCES", "ELOOP", "ENAMETOOLONG")) return false;
      throw error;
    }
    current = resolve(dirname(current), next);
    if (isOpenersOwnPath(current)) return true;
  }
  return false;
}
