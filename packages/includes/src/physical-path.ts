// How a path that cpp opens resolves on this machine, component by component, so another machine
// can be given a tree in which the same spelling resolves the same way: the symlinks met on the way
// (sent as links), the directories that a `..` climbs out of (they must exist there), and the file
// reached. cpp never normalises a name (`dir/../x.h` goes through `dir`, symlink or not), so neither
// does this.
import { DistccError } from "@x/distcc-errors";
import type { IncludesErrorCode } from "./errors.js";
import { lstatSync, readdirSync, readlinkSync, statSync, type Dirent, type Stats } from "node:fs";

export interface PhysicalPath {
  /** The file or directory finally reached, without symlinks or dots. */
  real: string;
  /** Symlinks met, by their own resolved location, with their target as stored. */
  links: Map<string, string>;
  /** Directories a `..` stepped out of (each must exist for the spelling to resolve). */
  climbed: Set<string>;
  /**
   * The real directory the spelling's last name was looked up in: where cpp resolves the file's own
   * `"..."` includes from. Spellings that differ only before it (`src/../src/x.h`, a symlink to a
   * directory) have the same includes.
   */
  parent: string;
}

class PathLoopError extends DistccError<IncludesErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_INCLUDES_ERR_PATH_LOOP", message, options);
  }
}

const MAX_LINKS = 40; // as the kernel's ELOOP bound

/** One name in a directory, as its listing gives it. */
interface DirectoryEntry {
  kind: "dir" | "file" | "link" | "other";
  /** A symlink's target, read on first use. */
  target?: string;
}

interface Listing {
  mtimeNs: bigint;
  entries: Map<string, DirectoryEntry>;
}

/** A listing younger than this is not kept: a file created within the same clock tick would not
 * change the directory's mtime (ext4's timestamps are as coarse as the kernel's tick). */
const SETTLED_NS = 2_000_000_000n;

function kindOf(d: Dirent): DirectoryEntry["kind"] | undefined {
  if (d.isDirectory()) return "dir";
  if (d.isFile()) return "file";
  if (d.isSymbolicLink()) return "link";
  if (d.isBlockDevice() || d.isCharacterDevice() || d.isFIFO() || d.isSocket()) return "other";
  return undefined; // DT_UNKNOWN: ask lstat
}

/** `dir/name` for an absolute directory (the root included). */
function childPath(dir: string, name: string): string {
  return `${dir === "/" ? "" : dir}/${name}`;
}

/** What a directory holds, by name: a kept listing, or names looked up one by one. */
export interface DirectoryNames {
  get(name: string): DirectoryEntry | undefined;
}

/** One name a resolution looked up in one directory, and what it found there (nothing: absent). */
export interface NameStep {
  dir: string;
  name: string;
  entry: DirectoryEntry | undefined;
}

/**
 * The names of a directory that keeps changing (a build's output directory, /tmp), found by one
 * lstat each (as the kernel would) instead of listing it again for every analysis: listing a
 * directory of thousands of files cost more than the rest of an analysis. Per analysis.
 */
class ProbedNames implements DirectoryNames {
  readonly #seen = new Map<string, DirectoryEntry | undefined>();

  constructor(private readonly dir: string) {}

  get(name: string): DirectoryEntry | undefined {
    if (this.#seen.has(name)) return this.#seen.get(name);
    let entry: DirectoryEntry | undefined;
    if (name !== "" && !name.includes("/")) {
      try {
        const st = lstatSync(childPath(this.dir, name), { throwIfNoEntry: false });
        if (st)
          entry = { kind: st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "link" : "other" };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOTDIR" && code !== "ENAMETOOLONG" && code !== "EACCES" && code !== "ELOOP") throw error;
      }
    }
    this.#seen.set(name, entry);
    return entry;
  }
}

/**
 * Directory listings kept across analyses (a build asks about the same few directories for every
 * compile): one stat of a directory per analysis checks its mtime instead of an lstat per name
 * looked up in it. A directory whose mtime changed once is not listed again: its names are looked
 * up one by one from then on (ProbedNames), since it is likely to change again (objects written
 * next to their sources, a shared /tmp).
 */
export class DirectoryCache {
  readonly #listings = new Map<string, Listing>();
  readonly #changing = new Set<string>();
  /** Directories listed while too young to keep, by the mtime they had: listed again once settled. */
  readonly #young = new Map<string, bigint>();

  /** The names of `dir` (absolute, without symlinks), or null when it is not a readable directory. */
  listing(dir: string, checked: Map<string, DirectoryNames | null>): DirectoryNames | null {
    const seen = checked.get(dir);
    if (seen !== undefined) return seen;
    let entries: DirectoryNames | null = null;
    try {
      const stats = statSync(dir, { bigint: true });
      if (stats.isDirectory()) {
        const kept = this.#listings.get(dir);
        const young = this.#young.get(dir);
        const settled = BigInt(Date.now()) * 1_000_000n - stats.mtimeNs > SETTLED_NS;
        if (kept && kept.mtimeNs === stats.mtimeNs) entries = kept.entries;
        else if (kept || this.#changing.has(dir) || (young !== undefined && young !== stats.mtimeNs)) {
          this.#listings.delete(dir);
          this.#young.delete(dir);
          this.#changing.add(dir);
          entries = new ProbedNames(dir);
        } else if (young !== undefined && !settled) {
          entries = new ProbedNames(dir);
        } else {
          const read = new Map<string, DirectoryEntry>();
          for (const d of readdirSync(dir, { withFileTypes: true })) {
            const kind = kindOf(d) ?? kindOf(lstatSync(`${dir}/${d.name}`) as unknown as Dirent) ?? "other";
            read.set(d.name, { kind });
          }
          entries = read;
          // Too young to be trusted (a file created within the same tick leaves the mtime as it
          // was): looked up name by name until it is settled (a tree just checked out or
          // generated), then listed again and kept, unless it changed meanwhile.
          this.#young.delete(dir);
          if (settled) this.#listings.set(dir, { mtimeNs: stats.mtimeNs, entries: read });
          else this.#young.set(dir, stats.mtimeNs);
        }
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "EACCES") throw error;
    }
    checked.set(dir, entries);
    return entries;
  }

  clear(): void {
    this.#listings.clear();
    this.#changing.clear();
    this.#young.clear();
  }
}

/**
 * Resolves paths for one analysis: names through the directory listings (kept across analyses),
 * files' own stats fresh (their inode, size and mtime decide whether a kept scan still holds).
 */
export class PhysicalResolver {
  readonly #lstat = new Map<string, Stats | null>();
  readonly #checked = new Map<string, DirectoryNames | null>();

  constructor(private readonly directories: DirectoryCache = new DirectoryCache()) {}

  lstat(path: string): Stats | null {
    let s = this.#lstat.get(path);
    if (s === undefined) {
      try {
        // No exception for the common miss: building one costs more than the lstat.
        s = lstatSync(path, { throwIfNoEntry: false }) ?? null;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG" && code !== "EACCES") throw error;
        s = null;
      }
      this.#lstat.set(path, s);
    }
    return s;
  }

  /** What this analysis found `dir` to hold (the same object for the whole analysis). */
  names(dir: string): DirectoryNames | null {
    return this.directories.listing(dir, this.#checked);
  }

  /**
   * Whether `step.name` in `step.dir` is still what a resolution found there. Compared by name, not
   * by listing: a build's own directories change all the time (objects written beside the sources,
   * next to an `-I` directory), and a lookup that only went through them must stay valid.
   */
  holds(step: NameStep): boolean {
    const now = this.names(step.dir)?.get(step.name);
    if (now === step.entry) return true; // the same kept listing's entry, or absent both times
    if (!now || !step.entry || now.kind !== step.entry.kind) return false;
    if (now.kind !== "link") return true;
    try {
      now.target ??= readlinkSync(childPath(step.dir, step.name));
    } catch {
      return false; // gone since it was listed: look it up again
    }
    return now.target === step.entry.target;
  }

  /**
   * Resolves an absolute spelling; undefined when some component does not exist. `deps` receives
   * every name looked up, with what was found: while each is still found the same (`holds`), the
   * answer is the same.
   */
  resolve(spelling: string, deps?: NameStep[]): PhysicalPath | undefined {
    const links = new Map<string, string>();
    const climbed = new Set<string>();
    let parent: string | undefined;
    const pending = spelling
      .split("/")
      .filter((c) => c !== "")
      .reverse();
    let real = "";
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.pop()!;
      if (part === ".") continue;
      if (part === "..") {
        if (real !== "") climbed.add(real);
        real = real.slice(0, real.lastIndexOf("/"));
        continue;
      }
      const dir = real === "" ? "/" : real;
      // The spelling's own last name (a symlink's target names are pushed only after it).
      parent ??= pending.length === 0 ? dir : undefined;
      const names = this.directories.listing(dir, this.#checked);
      const entry = names?.get(part);
      deps?.push({ dir, name: part, entry });
      if (!entry) return undefined;
      const next = `${real}/${part}`;
      if (entry.kind !== "link") {
        // A name that is not a directory can only end the path (the kernel's ENOTDIR otherwise).
        if (entry.kind !== "dir" && pending.some((p) => p !== "." && p !== "..")) return undefined;
        real = next;
        continue;
      }
      if (++hops > MAX_LINKS) throw new PathLoopError(`too many symlinks resolving ${spelling}`);
      entry.target ??= readlinkSync(next);
      const target = entry.target;
      links.set(next, target);
      const parts = target.split("/").filter((c) => c !== "");
      for (let k = parts.length - 1; k >= 0; k--) pending.push(parts[k]!);
      if (target.startsWith("/")) real = "";
    }
    return { real: real === "" ? "/" : real, links, climbed, parent: parent ?? "/" };
  }
}
