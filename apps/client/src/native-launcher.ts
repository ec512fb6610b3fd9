import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "./errors.js";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fnv1a64Hex } from "./agent-paths.js";

/** Where this package's files are (dist/ at run time). */
export function packageFiles(): { cliScript: string; agentScript: string; launcherSource: string } {
  const dist = dirname(fileURLToPath(import.meta.url));
  return {
    cliScript: join(dist, "cli.js"),
    agentScript: join(dist, "agent-main.js"),
    launcherSource: join(dist, "..", "native", "launcher.c"),
  };
}

class NativeBuildError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_NATIVE_BUILD", message, options);
  }
}

function cString(text: string): string {
  return JSON.stringify(text);
}

/** The C compilers to try, in order: $CC, then cc, gcc, clang. */
function compilerCandidates(env: Record<string, string | undefined>): string[] {
  const list = [env.CC, "cc", "gcc", "clang"].filter((c): c is string => Boolean(c && !c.includes(" ")));
  return [...new Set(list)];
}

/**
 * Builds the native launcher with the user's own C compiler, compiling in the paths of node and
 * our scripts. Written to a temp name and renamed, so a concurrent build never runs a half file.
 */
export function buildNativeLauncher(outPath: string, env: Record<string, string | undefined> = process.env): string {
  const files = packageFiles();
  if (!existsSync(files.launcherSource)) throw new NativeBuildError(`missing ${files.launcherSource}`);
  mkdirSync(dirname(outPath), { recursive: true });
  const temp = `${outPath}.${process.pid}.tmp`;
  const errors: string[] = [];
  for (const cc of compilerCandidates(env)) {
    const r = spawnSync(
      cc,
      [
        "-O2",
        "-w",
        "-o",
        temp,
        files.launcherSource,
        `-DNODE_PATH=${cString(process.execPath)}`,
        `-DAGENT_SCRIPT=${cString(files.agentScript)}`,
        `-DCLI_SCRIPT=${cString(files.cliScript)}`,
      ],
      { encoding: "utf8", env: { ...env, _DISTCC_SAFEGUARD: "1" } as NodeJS.ProcessEnv },
    );
    if (r.status === 0) {
      renameSync(temp, outPath);
      return cc;
    }
    errors.push(`${cc}: ${r.error ? r.error.message : r.stderr.trim().split("\n").slice(-3).join(" ")}`);
    rmSync(temp, { force: true });
  }
  throw new NativeBuildError(`no working C compiler for the native launcher (${errors.join("; ")})`);
}

/** A cached native launcher under DISTCC_DIR, rebuilt when the source, node or our paths change. */
export function cachedNativeLauncher(stateDir: string, env: Record<string, string | undefined> = process.env): string {
  const files = packageFiles();
  const key = fnv1a64Hex(
    [readFileSync(files.launcherSource, "utf8"), process.execPath, files.agentScript, files.cliScript].join("\0"),
  );
  const out = join(stateDir, "launcher", `distcc-client-${key}`);
  if (!existsSync(out)) buildNativeLauncher(out, env);
  return out;
}
