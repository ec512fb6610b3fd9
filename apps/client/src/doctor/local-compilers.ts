import { accessSync, constants, readdirSync, realpathSync } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { parseCompilerName } from "@x/distcc-toolchain";
import { isLookupMiss } from "../errno.js";

/** A compiler this machine would run, as a build names it. */
export interface LocalCompiler {
  /** The name a build uses (`gcc`, `arm-linux-gnueabihf-gcc`). */
  name: string;
  /** Where PATH finds it. */
  path: string;
}

const PLAIN = ["gcc", "g++", "cc", "c++", "clang", "clang++"];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch (err) {
    if (isLookupMiss(err)) return false;
    throw err;
  }
}

/**
 * The compilers `doctor` checks when none are named: the plain driver names, then every
 * `<triple>-gcc`/`<triple>-g++` (no version suffix) on PATH, first directory wins as with execvp.
 * Links to distcc (masquerade directories) are skipped: they are not compilers.
 */
export function findLocalCompilers(pathVar: string, names?: readonly string[]): LocalCompiler[] {
  const dirs = pathVar.split(delimiter).filter((d) => d.length > 0);
  const wanted = names && names.length > 0 ? [...names] : [...PLAIN, ...qualifiedNamesOnPath(dirs)];
  const found: LocalCompiler[] = [];
  for (const name of wanted) {
    const path = name.includes("/") ? name : dirs.map((d) => join(d, name)).find(executable);
    if (!path || !executable(path) || isDistcc(path)) continue;
    found.push({ name: name.includes("/") ? basename(name) : name, path });
  }
  return found;
}

function qualifiedNamesOnPath(dirs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (err) {
      if (isLookupMiss(err)) continue; // a PATH entry that is not a readable directory
      throw err;
    }
    for (const e of entries) {
      const parsed = parseCompilerName(e);
      if (parsed?.triple !== undefined && parsed.version === undefined && /-g(cc|\+\+)$/.test(e)) names.add(e);
    }
  }
  return [...names].sort();
}

function isDistcc(path: string): boolean {
  try {
    return basename(realpathSync(path)).includes("distcc");
  } catch (err) {
    if (isLookupMiss(err)) return false;
    throw err;
  }
}
