import { lstat, mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** A protocol-3 entry as the request decoder delivers it (content already decompressed). */
export type TreeEntry =
  | { kind: "file"; name: string; content: Uint8Array }
  | { kind: "link"; name: string; target: string };

/** A NAME or CDIR that would leave the job's root, or a tree that cannot be built. */
export class PumpTreeError extends Error {
  readonly code = "DISTCC_SERVER_ERR_PUMP_TREE";
  constructor(message: string) {
    super(message);
    this.name = "PumpTreeError";
  }
}

/** Splits an absolute client path into components; refuses `..`, `.`, NUL and relative paths. */
export function clientPathParts(path: string, what = "NAME"): string[] {
  if (!path.startsWith("/")) throw new PumpTreeError(`${what} ${JSON.stringify(path)} is not an absolute path`);
  if (path.includes("\0")) throw new PumpTreeError(`${what} contains a NUL byte`);
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === ".")) {
    throw new PumpTreeError(`${what} ${JSON.stringify(path)} has a "." or ".." component`);
  }
  return parts;
}

/**
 * Creates `root/<parts...>` as real directories, one level at a time. An existing component that is
 * a symlink (a LINK entry) or a file is refused: nothing is ever written through a client's link.
 */
async function ensureDirs(root: string, parts: readonly string[]): Promise<string> {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    try {
      await mkdir(dir, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await lstat(dir);
      if (!st.isDirectory()) throw new PumpTreeError(`${dir.slice(root.length)} is a link or a file, not a directory`);
    }
  }
  return dir;
}

/** Makes the client's working directory under the root and returns its server path. */
export async function makeClientCwd(root: string, cwd: string): Promise<string> {
  return ensureDirs(root, clientPathParts(cwd, "CDIR"));
}

/**
 * Writes one pump entry under `root` (spec 4.2): FILE -> a new file (O_EXCL, never replacing or
 * following anything), LINK -> a symlink whose absolute target is re-rooted under `root`. Relative
 * targets are kept: they are how the include server points at the server's own system headers.
 */
export async function placeTreeEntry(root: string, entry: TreeEntry): Promise<void> {
  const parts = clientPathParts(entry.name);
  if (parts.length === 0) throw new PumpTreeError("NAME \"/\" names the root itself");
  const dir = await ensureDirs(root, parts.slice(0, -1));
  const path = join(dir, parts[parts.length - 1] as string);
  try {
    if (entry.kind === "file") {
      await writeFile(path, entry.content, { flag: "wx", mode: 0o644 });
    } else {
      if (entry.target === "" || entry.target.includes("\0")) throw new PumpTreeError(`LINK for ${entry.name} has an empty or invalid target`);
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
