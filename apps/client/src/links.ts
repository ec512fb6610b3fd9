import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  realpathSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { buildNativeLauncher, packageFiles } from "./native-launcher.js";
import { isErrno, isLookupMiss } from "./errno.js";

/** Compiler names worth a masquerade link: gcc, g++-12, cc, clang++, x86_64-linux-gnu-gcc-12, ... */
const PLAIN = /^(cc|c\+\+|gcc|g\+\+|clang|clang\+\+)(-\d+(\.\d+)*)?$/;
const QUALIFIED = /^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+){1,3}-(gcc|g\+\+|clang|clang\+\+)(-\d+(\.\d+)*)?$/;

export interface LinksResult {
  dir: string;
  /** "native" = the C launcher was built with the user's compiler; "node" = the fallback script. */
  launcher: "native" | "node";
  launcherPath: string;
  builtWith?: string;
  names: string[];
  warning?: string;
}

function isLaunchable(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() || st.isSymbolicLink();
  } catch (err) {
    if (isLookupMiss(err)) return false;
    throw err;
  }
}

/** Every compiler name found on PATH (first occurrence wins), excluding `dir` itself. */
export function findCompilerNames(path: string, dir: string): string[] {
  const names = new Set<string>();
  let self = resolve(dir);
  try {
    self = realpathSync(dir);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err; // else not created yet
  }
  for (const d of path.split(delimiter)) {
    if (!d) continue;
    let real: string;
    try {
      real = realpathSync(d);
    } catch (err) {
      if (isLookupMiss(err)) continue;
      throw err;
    }
    if (real === self) continue;
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch (err) {
      if (isLookupMiss(err)) continue;
      throw err;
    }
    for (const e of entries) if ((PLAIN.test(e) || QUALIFIED.test(e)) && isLaunchable(join(d, e))) names.add(e);
  }
  return [...names].sort();
}

/**
 * Fills `dir` with a launcher named `distcc-client` and a link per compiler, so `PATH=dir:$PATH`
 * (masquerade) or `CC="dir/distcc-client gcc"` distributes, with no hand-made symlinks.
 */
export function makeCompilerLinks(dirArg: string, env: Record<string, string | undefined>): LinksResult {
  const dir = resolve(dirArg);
  mkdirSync(dir, { recursive: true });
  const launcherPath = join(dir, "distcc-client");
  let launcher: LinksResult["launcher"] = "native";
  let builtWith: string | undefined;
  let warning: string | undefined;
  try {
    if (existsSync(launcherPath)) unlinkSync(launcherPath);
    builtWith = buildNativeLauncher(launcherPath, env);
  } catch (err) {
    launcher = "node";
    warning = `${(err as Error).message}; using the Node launcher (about 80 ms more CPU per job)`;
    const { cliScript } = packageFiles();
    writeFileSync(
      launcherPath,
      `#!/bin/sh\nDISTCC_CLIENT_ARGV0="$0" exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliScript)} "$@"\n`,
    );
    chmodSync(launcherPath, 0o755);
  }
  const names = findCompilerNames(env.PATH ?? "/usr/bin:/bin", dir);
  for (const name of names) {
    const link = join(dir, name);
    try {
      unlinkSync(link);
    } catch (err) {
      if (!isErrno(err, "ENOENT")) throw err; // else a new link
    }
    symlinkSync("distcc-client", link);
  }
  return { dir, launcher, launcherPath, builtWith, names, warning };
}
