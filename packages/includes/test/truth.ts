// The truth the analysis is held to: what `gcc -M` says a compile reads.
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";

/** Real paths of every file `cc ARGS -M` lists (the source and every header cpp opened). */
export function depsOf(argv: readonly string[], cwd: string): Set<string> {
  const out = execFileSync(argv[0]!, [...argv.slice(1), "-M"], {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LC_ALL: "C" },
  });
  const words = out
    .replace(/\\\n/g, " ")
    .split(/\s+/)
    .filter((w) => w !== "");
  // The first word is the target ("x.o:").
  return new Set(words.slice(1).map((w) => realpathSync.native(w.startsWith("/") ? w : `${cwd}/${w}`)));
}
