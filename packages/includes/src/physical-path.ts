// How a path that cpp opens resolves on this machine, component by component, so another machine
// can be given a tree in which the same spelling resolves the same way: the symlinks met on the way
// (sent as links), the directories that a `..` climbs out of (they must exist there), and the file
// reached. cpp never normalises a name (`dir/../x.h` goes through `dir`, symlink or not), so neither
// does this.
import { lstatSync, readlinkSync, type Stats } from "node:fs";

export interface PhysicalPath {
  /** The file or directory finally reached, without symlinks or dots. */
  real: string;
  /** Symlinks met, by their own resolved location, with their target as stored. */
  links: Map<string, string>;
  /** Directories a `..` stepped out of (each must exist for the spelling to resolve). */
  climbed: Set<string>;
}

export class PathLoopError extends Error {
  override readonly name = "PathLoopError";
  readonly code = "INCLUDES_ERR_PATH_LOOP";
}

const MAX_LINKS = 40; // as the kernel's ELOOP bound

/**
 * Resolves paths with an lstat cache. Directories are assumed stable for the resolver's lifetime
 * (one analysis of one compile); files are looked at again by the caller.
 */
export class PhysicalResolver {
  readonly #lstat = new Map<string, Stats | null>();

  lstat(path: string): Stats | null {
    let s = this.#lstat.get(path);
    if (s === undefined) {
      try {
        s = lstatSync(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR" && code !== "ENAMETOOLONG" && code !== "EACCES") throw error;
        s = null;
      }
      this.#lstat.set(path, s);
    }
    return s;
  }

  /** Resolves an absolute spelling; undefined when some component does not exist. */
  resolve(spelling: string): PhysicalPath | undefined {
    const links = new Map<string, string>();
    const climbed = new Set<string>();
    const pending = spelling.split("/").filter((c) => c !== "").reverse();
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
      const next = `${real}/${part}`;
      const stats = this.lstat(next);
      if (!stats) return undefined;
      if (!stats.isSymbolicLink()) {
        real = next;
        continue;
      }
      if (++hops > MAX_LINKS) throw new PathLoopError(`too many symlinks resolving ${spelling}`);
      const target = readlinkSync(next);
      links.set(next, target);
      const parts = target.split("/").filter((c) => c !== "");
      for (let k = parts.length - 1; k >= 0; k--) pending.push(parts[k]!);
      if (target.startsWith("/")) real = "";
    }
    return { real: real === "" ? "/" : real, links, climbed };
  }
}
