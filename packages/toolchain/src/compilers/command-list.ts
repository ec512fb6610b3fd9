import { readFile } from "node:fs/promises";

/** distccd's DISTCC_CMDLIST: the only compilers allowed, matched on the last `numWords` path components. */
export interface CommandList {
  /** Full paths, one per line of the file. */
  paths: string[];
  numWords: number;
}

export interface CommandListSource {
  file: string;
  /** DISTCC_CMDLIST_NUMWORDS, default 1. */
  numWords?: number;
}

/** Source named by distccd's environment variables, if DISTCC_CMDLIST is set. */
export function commandListFromEnv(env: NodeJS.ProcessEnv): CommandListSource | undefined {
  const file = env.DISTCC_CMDLIST;
  if (!file) return undefined;
  const n = Number.parseInt(env.DISTCC_CMDLIST_NUMWORDS ?? "", 10);
  return Number.isFinite(n) && n > 0 ? { file, numWords: n } : { file };
}

/** Read the list; like distccd, each line is a path (empty lines are skipped). */
export async function readCommandList(src: CommandListSource): Promise<CommandList> {
  const text = await readFile(src.file, "utf8");
  const paths = text
    .split("\n")
    .map((l) => l.replace(/\r$/, "").trim())
    .filter((l) => l.length > 0);
  return { paths, numWords: src.numWords ?? 1 };
}

/** The last `n` '/'-separated components of a name, the key distccd compares. */
export function lastWords(name: string, n: number): string {
  return name.split("/").slice(-n).join("/");
}

/** The listed path argv[0] maps to, or undefined (refused). */
export function matchCommandList(list: CommandList, requested: string): string | undefined {
  const key = lastWords(requested, list.numWords);
  return list.paths.find((p) => lastWords(p, list.numWords) === key);
}
