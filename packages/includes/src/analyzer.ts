// Which files does this compile read? Walks the includes from the source (and `-include` /
// `-imacros` files) with gcc's lookup rules over the chain the compiler reports, following every
// branch of every conditional, so the answer is a superset of what cpp reads. Per-file directive
// scans are kept across compiles and checked against the file's inode, size and mtime, so a header
// regenerated during a build is read again.
import { DistccError } from "@x/distcc-errors";
import type { IncludesErrorCode } from "./errors.js";
import { readFileSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { resolveComputed, TooManyAlternatives, type MacroTable } from "./computed.js";
import {
  scanDirectives,
  type FileDirectives,
  type IncludeDirective,
  type IncludeOperand,
  type MacroDefinition,
} from "./directives.js";
import { environmentBlocker, readIncludeOptions, type IncludeOptions } from "./options.js";
import { DirectoryCache, PhysicalResolver, type NameStep, type PhysicalPath } from "./physical-path.js";
import { SearchChainCache, type SearchChain } from "./search-chain.js";

export interface AnalyzeRequest {
  /** The compile command; argv[0] is the compiler (used for the search-chain probe unless `compiler`). */
  argv: readonly string[];
  /** The compile's working directory (absolute). */
  cwd: string;
  /** The compile's environment, for the variables that change the search (CPATH, ...). */
  env?: Record<string, string | undefined>;
  /** The compiler to probe (an absolute path), when argv[0] is not one. */
  compiler?: string;
  /** gcc reads `<stdc-predef.h>` implicitly, clang does not; unknown: looked up anyway (a superset). */
  family?: "gcc" | "clang";
}

/** One file that cpp may read. */
export interface ReadFile {
  /** The path as cpp spells it (what gcc -M prints), which may run through symlinks or `..`. */
  spelling: string;
  /** Where it really is (no symlinks). */
  real: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface IncludeClosure {
  /** Every file cpp may read, the source first, each once (by real path). */
  files: ReadFile[];
  /** Symlinks the spellings pass through (location -> target as stored). */
  links: Map<string, string>;
  /** Directories a spelling's `..` climbs out of: they must exist for it to resolve elsewhere. */
  climbed: Set<string>;
  /** The search chain the compiler reported for this command. */
  chain: SearchChain;
}

export type AnalysisResult = { ok: true; closure: IncludeClosure } | { ok: false; reason: string };

export class IncludeAnalysisError extends DistccError<IncludesErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_INCLUDES_ERR_ANALYSIS", message, options);
  }
}

interface CachedScan {
  ino: number;
  size: number;
  mtimeMs: number;
  directives: FileDirectives;
}

/** A file being walked: where it is and which chain entry found it (for `#include_next`). */
interface Visit {
  spelling: string;
  /**
   * Which walk it is: the chain entry that found it, the real directory its name was found in and
   * the name. Spellings with the same key read the same files; keying by spelling instead let
   * `#include "../src/b.h"` cycles (or a symlink to a parent directory) grow spellings forever.
   */
  key: string;
  /** How it was physically reached (kept with the includer's edges). */
  physical: PhysicalPath;
  /** Index in quote++bracket of the directory that found it; -1: its includer's directory;
   * undefined: named directly (the source, an absolute name), where include_next acts as include. */
  found: number | undefined;
  /** The file reached (resolved once, when it was looked up). */
  file: ReadFile;
}

const MAX_FILES = 100_000;
/** Walks (a file by chain entry and directory): a bound for trees no compile could finish. */
const MAX_VISITS = 400_000;

/**
 * A chain lookup's answer kept across analyses: which spelling (or none) the search from one chain
 * entry found, and every name it looked up on the way (each once). While each is still found the
 * same, the answer is the same, and a build's thousands of `#include <...>` lookups skip the failed
 * tries through the chain.
 */
interface KeptLookup {
  deps: NameStep[];
  found?: { spelling: string; k: number; physical: PhysicalPath };
}
const MAX_KEPT_LOOKUPS = 200_000;

/**
 * Where one walked file's includes led, kept across analyses: the same scan (the file unchanged)
 * and every name its lookups went through still found the same give the same files, so a header
 * that thousands of compiles include is looked up once, then only checked. Computed includes are
 * not kept (they depend on the definitions seen) and are resolved each time.
 */
interface KeptEdges {
  directives: FileDirectives;
  deps: NameStep[];
  /** The files found, in directive order; `read`: walked in turn (not a `#pragma GCC dependency`). */
  found: { spelling: string; found: number | undefined; physical: PhysicalPath; read: boolean }[];
}
const MAX_KEPT_EDGES = 100_000;

export class IncludeAnalyzer {
  readonly #scans = new Map<string, CachedScan>();
  readonly #directories = new DirectoryCache();
  readonly #chains: SearchChainCache;
  /** Per chain (the same object while it holds), lookups by `start\0name`. */
  #lookups = new WeakMap<SearchChain, Map<string, KeptLookup>>();
  #keptLookups = 0;
  /** Per chain, each walked file's edges by its visit key. */
  #edges = new WeakMap<SearchChain, Map<string, KeptEdges>>();
  #keptEdges = 0;

  readonly #onRead: ((file: ReadFile, content: Buffer) => void) | undefined;

  /**
   * `onRead`: told each file's content when the analysis reads it (a new or changed file), checked
   * against its stats: a caller that sends the files (pump mode) keeps it instead of reading it again.
   */
  constructor(options: { chains?: SearchChainCache; onRead?: (file: ReadFile, content: Buffer) => void } = {}) {
    this.#chains = options.chains ?? new SearchChainCache();
    this.#onRead = options.onRead;
  }

  /** Forget every kept scan (the caches hold nothing else that can go stale). */
  clear(): void {
    this.#scans.clear();
    this.#directories.clear();
    this.#lookups = new WeakMap();
    this.#keptLookups = 0;
    this.#edges = new WeakMap();
    this.#keptEdges = 0;
  }

  async analyze(request: AnalyzeRequest): Promise<AnalysisResult> {
    const blocker = environmentBlocker(request.env ?? {});
    if (blocker) return { ok: false, reason: blocker };
    const options = readIncludeOptions(request.argv, request.cwd);
    if (options.unsupported) return { ok: false, reason: options.unsupported };
    let chain: SearchChain;
    try {
      chain = await this.#chains.get(request.compiler ?? request.argv[0]!, options.language, options.searchArgs);
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
    try {
      return { ok: true, closure: this.#walk(request.cwd, options, chain, request.family) };
    } catch (error) {
      // A symlink loop cpp could not open either: that compile is preprocessed here, where the
      // compiler says what it says about it.
      if (
        error instanceof TooManyAlternatives ||
        error instanceof IncludeAnalysisError ||
        (error instanceof DistccError && error.code === "DISTCC_INCLUDES_ERR_PATH_LOOP")
      )
        return { ok: false, reason: error.message };
      throw error;
    }
  }

  #walk(cwd: string, options: IncludeOptions, chain: SearchChain, family: AnalyzeRequest["family"]): IncludeClosure {
    const { input, defines } = options;
    const resolver = new PhysicalResolver(this.#directories);
    const dirs = [...chain.quote, ...chain.bracket];
    const files = new Map<string, ReadFile>();
    const links = new Map<string, string>();
    const climbed = new Set<string>();
    const macros = new Map<string, MacroDefinition[]>();
    for (const d of defines) macros.set(d.name, [d]);
    const visited = new Set<string>();
    const queue: Visit[] = [];
    const computed: { directive: IncludeDirective; from: Visit; seen: Set<string> }[] = [];

    let kept = this.#lookups.get(chain);
    if (!kept) {
      kept = new Map();
      this.#lookups.set(chain, kept);
    }
    const keptLookups = kept;
    let edgesOfChain = this.#edges.get(chain);
    if (!edgesOfChain) {
      edgesOfChain = new Map();
      this.#edges.set(chain, edgesOfChain);
    }
    const keptEdges = edgesOfChain;

    /** Records a spelling that resolved to `physical` if that is a regular file; returns its stats, or undefined. */
    const reach = (spelling: string, physical: PhysicalPath): ReadFile | undefined => {
      const stats = resolver.lstat(physical.real);
      if (!stats?.isFile()) return undefined;
      for (const [at, target] of physical.links) links.set(at, target);
      for (const dir of physical.climbed) climbed.add(dir);
      const known = files.get(physical.real);
      if (known) return known;
      if (files.size >= MAX_FILES) throw new IncludeAnalysisError(`more than ${MAX_FILES} files`);
      const file = { spelling, real: physical.real, size: stats.size, mtimeMs: stats.mtimeMs, ino: stats.ino };
      files.set(physical.real, file);
      return file;
    };

    /** Reaches `spelling` as a file to walk; undefined when it is not one. */
    const visitOf = (
      spelling: string,
      found: number | undefined,
      resolved: PhysicalPath | undefined,
      deps?: NameStep[],
    ): Visit | undefined => {
      const physical = resolved ?? resolver.resolve(spelling, deps);
      const file = physical ? reach(spelling, physical) : undefined;
      if (!file) return undefined;
      const key = `${found ?? "n"}:${physical!.parent}/${spelling.slice(spelling.lastIndexOf("/") + 1)}`;
      return { spelling, key, physical: physical!, found, file };
    };

    const enqueue = (visit: Visit): void => {
      if (visited.has(visit.key)) return;
      if (visited.size >= MAX_VISITS) throw new IncludeAnalysisError(`more than ${MAX_VISITS} files to walk`);
      visited.add(visit.key);
      queue.push(visit);
    };

    /**
     * gcc's lookup: the first directory of the applicable chain holding the name. `sink` receives
     * every name the lookup depends on.
     */
    const lookup = (
      operand: IncludeOperand,
      next: boolean,
      from: Visit | undefined,
      sink?: NameStep[],
    ): Visit | undefined => {
      if (operand.form === "computed") return undefined;
      const name = operand.name;
      if (name.startsWith("/")) return visitOf(name, undefined, undefined, sink);
      let start: number;
      if (next && from?.found !== undefined) start = from.found + 1;
      else if (operand.form === "angle") start = chain.quote.length;
      else {
        // `"..."`: the includer's own directory first (for a command-line file, the working directory).
        const own = from ? dirname(from.spelling) : cwd;
        const beside = visitOf(joinRaw(own, name), -1, undefined, sink);
        if (beside) return beside;
        start = 0;
      }
      start = Math.max(0, start);
      const key = `${start}\0${name}`;
      const memo = keptLookups.get(key);
      if (memo?.deps.every((step) => resolver.holds(step))) {
        if (!memo.found) {
          sink?.push(...memo.deps);
          return undefined;
        }
        const hit = visitOf(memo.found.spelling, memo.found.k, memo.found.physical);
        if (hit) {
          sink?.push(...memo.deps);
          return hit;
        }
        // Listed as a file, yet not one now (it changed under us): look it up again.
      }
      const deps: NameStep[] = [];
      let result: Visit | undefined;
      for (let k = start; k < dirs.length && !result; k++)
        result = visitOf(joinRaw(dirs[k]!, name), k, undefined, deps);
      const steps = distinctSteps(deps);
      sink?.push(...steps);
      if (this.#keptLookups >= MAX_KEPT_LOOKUPS) {
        this.#lookups = new WeakMap();
        this.#keptLookups = 0;
      } else {
        if (!memo) this.#keptLookups++;
        keptLookups.set(key, {
          deps: steps,
          ...(result ? { found: { spelling: result.spelling, k: result.found!, physical: result.physical } } : {}),
        });
      }
      return result;
    };

    /** Follows a file's includes (but computed ones), or replays where they led last time. */
    const followAll = (visit: Visit, directives: FileDirectives): void => {
      const key = visit.key;
      const kept = keptEdges.get(key);
      if (kept?.directives === directives && kept.deps.every((step) => resolver.holds(step))) {
        let replayed = true;
        for (const edge of kept.found) {
          const found = visitOf(edge.spelling, edge.found, edge.physical);
          if (!found) {
            replayed = false; // a file found last time is not one now: look everything up again
            break;
          }
          if (edge.read) enqueue(found);
        }
        if (replayed) return;
      }
      const deps: NameStep[] = [];
      const edges: KeptEdges["found"] = [];
      for (const directive of directives.includes) {
        if (directive.operand.form === "computed") continue;
        const found = lookup(directive.operand, searchesOn(directive), visit, deps);
        if (!found) continue;
        // A `#pragma GCC dependency` file is only looked at, not read for directives.
        const read = directive.kind !== "dependency";
        edges.push({ spelling: found.spelling, found: found.found, physical: found.physical, read });
        if (read) enqueue(found);
      }
      if (this.#keptEdges >= MAX_KEPT_EDGES) {
        this.#edges = new WeakMap();
        this.#keptEdges = 0;
      } else {
        if (!kept) this.#keptEdges++;
        keptEdges.set(key, { directives, deps: distinctSteps(deps), found: edges });
      }
    };

    /** Follows one operand of a computed include (never kept: it depends on the definitions seen). */
    const follow = (directive: IncludeDirective, operand: IncludeOperand, from: Visit): void => {
      const found = lookup(operand, searchesOn(directive), from);
      if (found && directive.kind !== "dependency") enqueue(found);
    };

    const source = visitOf(input, undefined, undefined);
    if (!source) throw new IncludeAnalysisError(`cannot read the source ${input}`);
    enqueue(source);
    if (options.implicitPreinclude && family !== "clang") {
      const predef = lookup({ form: "angle", name: "stdc-predef.h" }, false, undefined);
      if (predef) enqueue(predef);
    }
    for (const name of [...options.macroIncludes, ...options.forcedIncludes]) {
      const found = lookup({ form: "quote", name }, false, undefined);
      if (!found) throw new IncludeAnalysisError(`cannot find the -include/-imacros file ${name}`);
      enqueue(found);
    }

    // Every definition seen, in the order the files were walked: gathered only once a computed
    // include needs them (most compiles have none, and system headers hold thousands).
    const walked: FileDirectives[] = [];
    let gathered = 0;
    const gatherDefinitions = (): void => {
      for (; gathered < walked.length; gathered++) {
        for (const d of walked[gathered]!.defines) {
          const list = macros.get(d.name);
          if (!list) macros.set(d.name, [d]);
          else if (!list.some((x) => x.body === d.body && String(x.params) === String(d.params))) list.push(d);
        }
      }
    };

    // Walk; then resolve the computed includes with every definition seen, until nothing new appears.
    for (;;) {
      while (queue.length > 0) {
        const visit = queue.pop()!;
        const directives = this.#scan(visit.file);
        walked.push(directives);
        followAll(visit, directives);
        for (const directive of directives.includes)
          if (directive.operand.form === "computed") computed.push({ directive, from: visit, seen: new Set() });
      }
      if (computed.length > 0) gatherDefinitions();
      let grew = false;
      for (const entry of computed) {
        const operands = resolveComputed((entry.directive.operand as { text: string }).text, macros as MacroTable);
        if (
          operands.length === 0 &&
          entry.directive.kind !== "has_include" &&
          entry.directive.kind !== "has_include_next"
        ) {
          throw new IncludeAnalysisError(
            `${entry.from.spelling}:${entry.directive.line}: cannot evaluate #${entry.directive.kind} ${(entry.directive.operand as { text: string }).text}`,
          );
        }
        for (const operand of operands) {
          const key = `${operand.form}:${operand.form === "computed" ? operand.text : operand.name}`;
          if (entry.seen.has(key)) continue;
          entry.seen.add(key);
          follow(entry.directive, operand, entry.from);
          grew = true;
        }
      }
      if (!grew && queue.length === 0) break;
    }
    return { files: [...files.values()], links, climbed, chain };
  }

  #scan(file: ReadFile): FileDirectives {
    const cached = this.#scans.get(file.real);
    if (cached && cached.ino === file.ino && cached.size === file.size && cached.mtimeMs === file.mtimeMs)
      return cached.directives;
    const content = readFileSync(file.real);
    // A file that changed while it was read would be scanned in one state and sent in another.
    const after: Stats = statSync(file.real);
    if (
      after.size !== file.size ||
      after.mtimeMs !== file.mtimeMs ||
      after.ino !== file.ino ||
      content.length !== file.size
    ) {
      throw new IncludeAnalysisError(`${file.spelling} changed while it was read`);
    }
    this.#onRead?.(file, content);
    const directives = scanDirectives(content.toString("latin1"));
    this.#scans.set(file.real, { ino: file.ino, size: file.size, mtimeMs: file.mtimeMs, directives });
    return directives;
  }
}

/** `#include_next` and `__has_include_next`: the search goes on after the includer's chain entry. */
function searchesOn(directive: IncludeDirective): boolean {
  return directive.kind === "include_next" || directive.kind === "has_include_next";
}

/** Each (directory, name) once: the chain's entries share their leading directories. */
function distinctSteps(steps: NameStep[]): NameStep[] {
  const seen = new Set<string>();
  return steps.filter((step) => {
    const key = `${step.dir}\0${step.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** `dir/name` as cpp builds it: no normalisation. */
function joinRaw(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
