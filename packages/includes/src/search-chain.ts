// The compiler's include search chain, as the compiler itself reports it: `cc ARGS -x LANG -E -v
// /dev/null` prints the `#include "..."` directories (-iquote) and the `#include <...>` ones (-I,
// -isystem, its own, -idirafter) after applying its ordering, duplicate, sysroot and prefix rules.
// Asking is exact where re-implementing those rules would drift; it costs one cpp start per
// distinct option set, and the answer is kept.
import { DistccError } from "@x/distcc-errors";
import type { IncludesErrorCode } from "./errors.js";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { isTargetOption } from "./options.js";

export interface SearchChain {
  /** `-iquote` directories, searched after the including file's directory for `"..."`. */
  quote: string[];
  /** Everything searched for `<...>` (and, after `quote`, for `"..."`), in order. */
  bracket: string[];
  /** The part of `bracket` that is the compiler's own (what it searches with no option given). */
  system: string[];
  /** Directories the compiler skipped because they did not exist when asked. */
  missing: string[];
  /** Directories the compiler skipped as another entry's duplicate (the same directory, by inode). */
  duplicates: string[];
}

export class SearchChainError extends DistccError<IncludesErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_INCLUDES_ERR_SEARCH_CHAIN", message, options);
  }
}

/** Reads the directory lists of a `-E -v` run's stderr. */
export function parseSearchChain(stderr: string): Omit<SearchChain, "system"> {
  const quote: string[] = [];
  const bracket: string[] = [];
  const missing: string[] = [];
  const duplicates: string[] = [];
  let list: string[] | undefined;
  let sawEnd = false;
  for (const raw of stderr.split("\n")) {
    const line = raw.replace(/\r$/, "");
    const skipped = /^ignoring nonexistent directory "(.*)"$/.exec(line);
    if (skipped) {
      missing.push(skipped[1]!);
      continue;
    }
    const duplicate = /^ignoring duplicate directory "(.*)"$/.exec(line);
    if (duplicate) {
      duplicates.push(duplicate[1]!);
      continue;
    }
    if (line.startsWith('#include "..." search starts here:')) list = quote;
    else if (line.startsWith("#include <...> search starts here:")) list = bracket;
    else if (line.startsWith("End of search list.")) {
      list = undefined;
      sawEnd = true;
    } else if (list && line.startsWith(" ")) list.push(line.trim().replace(/ \(framework directory\)$/, ""));
  }
  if (!sawEnd) throw new SearchChainError("the compiler's -E -v output has no search list");
  return { quote, bracket, missing, duplicates };
}

const LANGUAGE_FOR_PROBE: Record<string, string> = { "c-header": "c", "c++-header": "c++" };

/** Runs the probe (asynchronously: the agent serves other jobs meanwhile). */
function runProbe(compiler: string, args: readonly string[], language: string): Promise<string> {
  const lang = LANGUAGE_FOR_PROBE[language] ?? language;
  return new Promise((resolve, reject) => {
    execFile(
      compiler,
      [...args, "-x", lang, "-E", "-v", "/dev/null"],
      { encoding: "utf8", maxBuffer: 1 << 20, timeout: 30_000, env: { ...process.env, LC_ALL: "C" } },
      (error, _stdout, stderr) => {
        if (error) {
          // The compiler's own complaint says what to fix; the command alone does not.
          const complaint = stderr
            .split("\n")
            .find((line) => /error:/.test(line))
            ?.trim();
          reject(
            new SearchChainError(
              `${compiler} -E -v failed: ${error.message.split("\n")[0]}${complaint ? ` (${complaint})` : ""}`,
              { cause: error },
            ),
          );
        } else resolve(stderr);
      },
    );
  });
}

/** A chain and what each directory the compiler named was when it answered (see `identityOf`). */
interface KeptChain {
  chain: SearchChain;
  identities: [string, string | null][];
}

/**
 * Keeps each compiler's chain per option set, while every directory the compiler named is the same
 * directory: one that did not exist may appear (a build creates include directories as it goes),
 * and the compiler drops an entry that is another's duplicate by inode, so a symlinked directory
 * retargeted (or a directory replaced) changes the chain too.
 */
export class SearchChainCache {
  readonly #chains = new Map<string, Promise<KeptChain>>();

  /** The chain for this compiler, language and search options. */
  async get(compiler: string, language: string, searchArgs: readonly string[]): Promise<SearchChain> {
    const key = JSON.stringify([compiler, language, searchArgs]);
    const cached = this.#chains.get(key);
    if (cached) {
      const kept = await cached.catch(() => undefined);
      if (kept?.identities.every(([dir, id]) => identityOf(dir) === id)) return kept.chain;
      this.#chains.delete(key);
    }
    // The option's directories are looked at before the compiler is asked: one that changes while
    // it answers then differs next time (asked again), never the other way round.
    const before = new Map<string, string | null>();
    searchArgs.forEach((word, i) => {
      if (i > 0 && isDirectoryOption(searchArgs[i - 1]!) && word.startsWith("/")) before.set(word, identityOf(word));
    });
    const probe = this.#probe(compiler, language, searchArgs).then((chain) => ({
      chain,
      identities: [...chain.quote, ...chain.bracket, ...chain.missing, ...chain.duplicates].map(
        (dir): [string, string | null] => [dir, before.has(dir) ? before.get(dir)! : identityOf(dir)],
      ),
    }));
    this.#chains.set(key, probe);
    probe.catch(() => this.#chains.delete(key));
    return (await probe).chain;
  }

  async #probe(compiler: string, language: string, searchArgs: readonly string[]): Promise<SearchChain> {
    try {
      return await this.#probeWith(compiler, language, searchArgs);
    } catch (error) {
      // A set of target options the compile accepts may still fail on /dev/null with -E (an
      // option pair no one has met yet): the chain without them is the compiler's default one,
      // which is this machine's headers all the same unless an option picked a multilib.
      const plain = withoutTargetOptions(searchArgs);
      if (plain.length === searchArgs.length) throw error;
      return this.#probeWith(compiler, language, plain);
    }
  }

  async #probeWith(compiler: string, language: string, searchArgs: readonly string[]): Promise<SearchChain> {
    // The compiler's own directories: the chain of the options that are not directories.
    const own = searchArgs.filter((a, i) => !isDirectoryOption(a) && !isDirectoryOption(searchArgs[i - 1] ?? ""));
    const [full, base] = await Promise.all([
      runProbe(compiler, searchArgs, language),
      own.length === searchArgs.length ? undefined : runProbe(compiler, own, language),
    ]);
    const chain = parseSearchChain(full);
    const system = base === undefined ? chain.bracket : parseSearchChain(base).bracket;
    return { ...chain, system: chain.bracket.filter((d) => system.includes(d)) };
  }
}

// -m32 and the like pick the multilib that decides the chain: kept.
const MULTILIB_OPTIONS: ReadonlySet<string> = new Set(["-m32", "-m64", "-mx32", "-m16"]);

function withoutTargetOptions(args: readonly string[]): string[] {
  return args.filter((a) => MULTILIB_OPTIONS.has(a) || !isTargetOption(a));
}

const DIRECTORY_OPTIONS = ["-I", "-iquote", "-isystem", "-idirafter", "-iprefix", "-iwithprefix", "-iwithprefixbefore"];

function isDirectoryOption(word: string): boolean {
  return DIRECTORY_OPTIONS.includes(word);
}

/** Which directory `path` is now (device and inode, through symlinks), or null when there is none. */
function identityOf(path: string): string | null {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st ? `${st.dev}:${st.ino}` : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOTDIR" || (error as NodeJS.ErrnoException).code === "EACCES")
      return null;
    throw error;
  }
}
