import { readFileSync } from "node:fs";
import type { CompilerWhitelist, WhitelistDecision } from "./whitelist.js";

/** The last `words` `/`-separated components of a path ("/usr/bin/gcc", 2 -> "bin/gcc"). */
function lastWords(path: string, words: number): string {
  return path.split("/").slice(-words).join("/");
}

/**
 * distccd's `DISTCC_CMDLIST` whitelist (spec 8.5 step 1): a file listing allowed compilers, one
 * path per line. The name a client sends is matched on its last `words` components
 * (`DISTCC_CMDLIST_NUMWORDS`, default 1) and replaced by the listed path; nothing else runs.
 */
export class CmdListWhitelist implements CompilerWhitelist {
  readonly entries: readonly string[];

  constructor(
    file: string,
    private readonly words = 1,
  ) {
    this.entries = readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
  }

  lookupName(requested: string): WhitelistDecision {
    const key = lastWords(requested, this.words);
    const hit = this.entries.find((entry) => lastWords(entry, this.words) === key);
    if (!hit) return { ok: false, reason: `compiler ${JSON.stringify(requested)} is not listed in DISTCC_CMDLIST` };
    if (!hit.startsWith("/"))
      return { ok: false, reason: `DISTCC_CMDLIST entry ${JSON.stringify(hit)} is not an absolute path` };
    return { ok: true, executable: hit };
  }
}
