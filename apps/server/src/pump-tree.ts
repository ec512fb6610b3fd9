import { DistccError } from "@x/distcc-errors";
import type { ServerErrorCode } from "./errors.js";
import { lstat, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A protocol-3 entry as the request decoder delivers it (content already decompressed). */
export type TreeEntry =
  | { kind: "file"; name: string; content: Uint8Array }
  | { kind: "link"; name: string; target: string };

/** A NAME or CDIR that would leave the job's root, or a tree that cannot be built. */
export class PumpTreeError extends DistccError<ServerErrorCode> {
  constructor(message: string) {
    super("DISTCC_SERVER_ERR_PUMP_TREE", message);
  }
}

/** Splits an absolute client path into components; refuses `..`, `.`, NUL and relative paths. */
function clientPathParts(path: string, what = "NAME"): string[] {
  if (!path.startsWith("/")) throw new PumpTreeError(`${what} ${JSON.stringify(path)} is not an absolute path`);
  if (path.includes("\0")) throw new PumpTreeError(`${what} contains a NUL byte`);
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === ".")) {
    throw new PumpTreeError(`${what} ${JSON.stringify(path)} has a "." or ".." component`);
  }
  return parts;
}

/**
 * gcc's .gch (a file, or a directory of them) and clang's .pch/.pcm: the compiler maps them into
 * its memory as they are (gcc picks `x.h.gch` up by itself for `#include "x.h"`), so a client's
 * bytes would become compiler state. Never written into a tree, whichever way the name came (an
 * NFIL entry, a header-cache list).
 */
export function isPrecompiledHeaderName(name: string): boolean {
  return /\.(gch|pch|pcm)(\/|$)/.test(name);
}

/**
 * Bounds on the tree one pump request may make. A hostile request of 500 names nested 1,900
 * levels deep (about 950,000 directory steps) took 342 s of server CPU before they existed.
 * Real trees: paths a few dozen levels deep, a few thousand files (a kernel file: ~1,500 headers).
 */
export interface TreeBounds {
  /** Components of one NAME or CDIR at most. */
  maxDepth: number;
  /** Directories made for one request at most. */
  maxDirs: number;
  /** Date.now() after which building stops (the job's --job-lifetime deadline). */
  deadline?: number;
  /** What the deadline is, for the message. */
  deadlineWhat?: string;
}

export const DEFAULT_TREE_BOUNDS: TreeBounds = { maxDepth: 128, maxDirs: 65_536 };

/**
 * Builds one request's tree under `root`. Each directory is made once and remembered (every entry
 * used to walk and mkdir its whole path again); a directory once made stays one (a later FILE or
 * LINK of the same name fails with EEXIST).
 */
export class PumpTree {
  private readonly dirs = new Set<string>();

  constructor(
    readonly root: string,
    private readonly bounds: TreeBounds = DEFAULT_TREE_BOUNDS,
  ) {}

  private check(parts: readonly string[], what: string, path: string): void {
    if (parts.length > this.bounds.maxDepth) {
      throw new PumpTreeError(
        `${what} ${JSON.stringify(path.slice(0, 200))} is ${parts.length} levels deep (at most ${this.bounds.maxDepth})`,
      );
    }
    if (this.bounds.deadline !== undefined && Date.now() > this.bounds.deadline) {
      throw new PumpTreeError(`building the pump tree took longer than ${this.bounds.deadlineWhat ?? "allowed"}`);
    }
  }

  /**
   * Creates `root/<parts...>` as real directories, one level at a time. An existing component that
   * is a symlink (a LINK entry) or a file is refused: nothing is ever written through a client's link.
   */
  private async ensureDirs(parts: readonly string[]): Promise<string> {
    let dir = this.root;
    for (const part of parts) {
      dir = join(dir, part);
      if (this.dirs.has(dir)) continue;
      if (this.dirs.size >= this.bounds.maxDirs)
        throw new PumpTreeError(`the pump tree needs more than ${this.bounds.maxDirs} directories`);
      try {
        await mkdir(dir, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const st = await lstat(dir);
        if (!st.isDirectory())
          throw new PumpTreeError(`${dir.slice(this.root.length)} is a link or a file, not a directory`);
      }
      this.dirs.add(dir);
    }
    return dir;
  }

  /** Makes the client's working directory under the root and returns its server path. */
  async makeCwd(cwd: string): Promise<string> {
    const parts = clientPathParts(cwd, "CDIR");
    this.check(parts, "CDIR", cwd);
    return this.ensureDirs(parts);
  }

  /**
   * Writes one pump entry (spec 4.2): FILE -> a new file (O_EXCL, never replacing or following
   * anything), LINK -> a symlink whose absolute target is re-rooted under the root. Relative
   * targets are kept: they are how the include server points at the server's own system headers.
   */
  async place(entry: TreeEntry): Promise<void> {
    const root = this.root;
    const parts = clientPathParts(entry.name);
    if (parts.length === 0) throw new PumpTreeError('NAME "/" names the root itself');
    this.check(parts, "NAME", entry.name);
    if (isPrecompiledHeaderName(entry.name))
      throw new PumpTreeError(
        `${entry.name}: precompiled headers are not accepted (the compiler loads them into its memory as they are)`,
      );
    const dir = await this.ensureDirs(parts.slice(0, -1));
    const path = join(dir, parts[parts.length - 1] as string);
    try {
      if (entry.kind === "file") {
        await writeFile(path, entry.content, { flag: "wx", mode: 0o644 });
      } else {
        if (entry.target === "" || entry.target.includes("\0"))
          throw new PumpTreeError(`LINK for ${entry.name} has an empty or invalid target`);
        const target = entry.target.startsWith("/") ? join(root, entry.target) : entry.target;
        await symlink(target, path);
      }
    } catch (err) {
      if (err instanceof PumpTreeError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new PumpTreeError(`NAME ${JSON.stringify(entry.name)} sent twice`);
      throw err;
    }
  }
}

/** Makes the client's working directory under the root and returns its server path. */
export async function makeClientCwd(root: string, cwd: string): Promise<string> {
  return new PumpTree(root).makeCwd(cwd);
}

/** Writes one pump entry under `root` (see PumpTree.place; a fresh tree each call). */
export async function placeTreeEntry(root: string, entry: TreeEntry): Promise<void> {
  return new PumpTree(root).place(entry);
}
