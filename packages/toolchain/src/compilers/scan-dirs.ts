import { readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { parseCompilerName } from "./compiler-names.js";
import { isExecutableFile } from "./locate.js";
import { isErrno, LOOKUP_MISSES } from "../errno.js";

export interface FoundExecutable {
  /** File name as found, e.g. "x86_64-linux-gnu-gcc-12". */
  name: string;
  /** Absolute path by that name (not resolved: a driver may read its argv[0]). */
  path: string;
  /** Where it resolves to. */
  realpath: string;
}

/** Directories crosstool-NG and hand-made cross installs put compilers in (only those that exist count). */
export async function crossToolchainDirs(env: NodeJS.ProcessEnv): Promise<string[]> {
  const roots: string[] = [];
  if (env.HOME && path.isAbsolute(env.HOME)) roots.push(path.join(env.HOME, "x-tools"));
  roots.push("/opt/x-tools", "/opt/cross", "/usr/local/cross");
  const dirs: string[] = [];
  for (const root of roots) {
    let subdirs: string[];
    try {
      subdirs = (await readdir(root, { withFileTypes: true }))
        .filter((d) => d.isDirectory() || d.isSymbolicLink())
        .map((d) => d.name);
    } catch (error) {
      if (isErrno(error, ...LOOKUP_MISSES)) continue; // no such tree here
      throw error;
    }
    dirs.push(path.join(root, "bin"));
    for (const sub of subdirs.sort()) dirs.push(path.join(root, sub, "bin"));
  }
  return dirs;
}

/** True for a file that is (a link to) a distcc client: running it as a compiler would recurse. */
function isDistccItself(real: string): boolean {
  const base = path.basename(real);
  return base === "distcc" || base.startsWith("distcc-");
}

/**
 * Executables whose names read as compiler drivers, in `dirs` order; for a name present in several
 * directories the first wins, as with execvp.
 */
export async function scanForCompilers(
  dirs: readonly string[],
  skipDirs: readonly string[] = [],
): Promise<FoundExecutable[]> {
  const seenNames = new Set<string>();
  const seenDirs = new Set(skipDirs.map((d) => path.resolve(d)));
  const found: FoundExecutable[] = [];
  for (const dir of dirs) {
    const abs = path.resolve(dir);
    if (seenDirs.has(abs)) continue;
    seenDirs.add(abs);
    let names: string[];
    try {
      names = await readdir(abs);
    } catch (error) {
      if (isErrno(error, ...LOOKUP_MISSES)) continue; // a PATH entry that is not a readable directory
      throw error;
    }
    for (const name of names.sort()) {
      if (seenNames.has(name) || !parseCompilerName(name)) continue;
      const file = path.join(abs, name);
      const hit = await resolveExecutable(file);
      if (!hit) continue;
      seenNames.add(name);
      found.push({ name, path: file, realpath: hit });
    }
  }
  return found;
}

/** Realpath of an executable that is not distcc itself, else undefined. */
export async function resolveExecutable(file: string): Promise<string | undefined> {
  if (!(await isExecutableFile(file))) return undefined;
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    if (isErrno(error, ...LOOKUP_MISSES)) return undefined; // gone, or a dangling link
    throw error;
  }
  return isDistccItself(real) ? undefined : real;
}

/** Names listed in a distccd masquerade directory (entries there are links to distcc; only the names matter). */
export async function masqueradeNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if (isErrno(error, ...LOOKUP_MISSES)) return [];
    throw error;
  }
}
