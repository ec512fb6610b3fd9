// The words of a compiler command that matter for which files it reads. The search chain itself is
// left to the compiler (see search-chain.ts): its `-v` listing applies gcc's own ordering, duplicate
// and sysroot rules, so only the words that feed it are picked out here, plus the files named on the
// command line and the macros a computed include may expand.
import { isAbsolute, resolve } from "node:path";
import type { MacroDefinition } from "./directives.js";

export interface IncludeOptions {
  /** The source file, absolute. */
  input: string;
  /** `-x` language (or the input's by extension): "c", "c++", "objective-c", ... */
  language: string;
  /** Words passed to the compiler's `-E -v` probe: every option that shapes the search chain. */
  searchArgs: string[];
  /** `-include` files in order; each is looked up in the working directory first (gcc's rule). */
  forcedIncludes: string[];
  /** `-imacros` files: read like `-include`, their output dropped. */
  macroIncludes: string[];
  /** `-D` definitions (for computed includes); `-U` names are dropped from them. */
  defines: MacroDefinition[];
  /** gcc reads `<stdc-predef.h>` before the source unless -nostdinc or -ffreestanding (clang never:
   * looking it up anyway only adds a file to the superset). */
  implicitPreinclude: boolean;
  /** Why the command cannot be analysed safely, when it cannot. */
  unsupported?: string;
}

// Options that take the next word as their value when not joined (`-I dir` / `-Idir`), and that
// shape the search chain: passed to the probe as written.
const SEARCH_JOINED_OR_SEPARATE = [
  "-I",
  "-iquote",
  "-isystem",
  "-idirafter",
  "-iprefix",
  "-iwithprefix",
  "-iwithprefixbefore",
  "-isysroot",
  "-imultilib",
  "-B",
];
const SEARCH_FLAGS = new Set(["-nostdinc", "-nostdinc++", "-undef", "-m32", "-m64", "-mx32", "-m16"]);
// Every -m option goes to the probe, not only the ones known to pick a multilib, and so do the -f
// switches (no value, so no file names): the compiler checks them against each other (the
// kernel's ARM builds pass `-march=armv6k -mfloat-abi=soft`, and `-march` alone meets the
// hard-float default and fails; x86's `-mcmodel=kernel` needs its `-fno-PIE`), and any -m may
// select a multilib directory. `-main-file-name` is clang's, with a value.
export function isTargetOption(word: string): boolean {
  if (word.startsWith("-f")) return !word.includes("=");
  return word.startsWith("-m") && word !== "-main-file-name" && word !== "-mllvm";
}
const LONG_TO_SHORT: Record<string, string> = {
  "--include-directory": "-I",
  "--include-directory-after": "-idirafter",
  "--include-prefix": "-iprefix",
  "--include-with-prefix": "-iwithprefix",
  "--include-with-prefix-after": "-iwithprefix",
  "--include-with-prefix-before": "-iwithprefixbefore",
  "--include": "-include",
  "--imacros": "-imacros",
  "--define-macro": "-D",
  "--undefine-macro": "-U",
  "--sysroot": "--sysroot",
  "--language": "-x",
  "--no-standard-includes": "-nostdinc",
  "--output": "-o",
};
// Options with a separate value that do not concern the search; skipped with their value so the
// value is never taken for the input.
const SEPARATE_VALUE = new Set([
  "-o",
  "-x",
  "-MF",
  "-MT",
  "-MQ",
  "-Xpreprocessor",
  "-Xassembler",
  "-Xlinker",
  "-aux-info",
  "--param",
  "-target",
  "--target",
  "-main-file-name",
  "-arch",
]);

const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  c: "c",
  h: "c",
  m: "objective-c",
  mm: "objective-c++",
  M: "objective-c++",
  cc: "c++",
  cp: "c++",
  cxx: "c++",
  cpp: "c++",
  CPP: "c++",
  "c++": "c++",
  C: "c++",
  hh: "c++",
  hpp: "c++",
};

function languageOf(path: string): string | undefined {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? undefined : LANGUAGE_BY_EXTENSION[path.slice(dot + 1)];
}

/** `NAME`, `NAME=VALUE` of `-D` as a definition (`-DX` is `X 1`, as cpp does). */
function defineFromOption(value: string): MacroDefinition | undefined {
  const m = /^([A-Za-z_$][A-Za-z0-9_$]*)(\(([^)]*)\))?(=(.*))?$/s.exec(value);
  if (!m) return undefined;
  const body = m[4] === undefined ? "1" : m[5]!;
  if (m[2] === undefined) return { name: m[1]!, body };
  const params = m[3]!
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return { name: m[1]!, params, body };
}

/** The long option a `--name` word stands for: exact, or an unambiguous abbreviation (gcc takes those). */
function longOption(name: string): string | undefined {
  if (LONG_TO_SHORT[name] !== undefined) return name;
  const matches = Object.keys(LONG_TO_SHORT).filter((long) => long.startsWith(name));
  return name.length > 3 && matches.length === 1 ? matches[0] : undefined;
}

/** argv without argv[0], gcc's `--long[=value]` aliases written as the short options they stand for. */
function canonicalWords(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of argv.slice(1)) {
    if (!word.startsWith("--")) {
      out.push(word);
      continue;
    }
    const eq = word.indexOf("=");
    const long = longOption(eq < 0 ? word : word.slice(0, eq));
    const short = long === undefined ? undefined : LONG_TO_SHORT[long]!;
    if (short === undefined) out.push(word);
    else if (short === "--sysroot") out.push(eq < 0 ? short : `--sysroot=${word.slice(eq + 1)}`);
    else if (short === "-nostdinc") out.push(short);
    else if (eq < 0) out.push(short);
    else out.push(short, word.slice(eq + 1));
  }
  return out;
}

/**
 * Picks the include-relevant options out of a compiler command (argv[0] is the compiler; `@file`s
 * already expanded by the caller). A command whose lookup cannot be known from its words gets
 * `unsupported`: `-I-` (the split chain), `-Xpreprocessor`/`-Wp,` (cpp options the driver does not
 * see), `-fworking-directory` is harmless, a missing input or several inputs.
 */
export function readIncludeOptions(argv: readonly string[], cwd: string): IncludeOptions {
  const searchArgs: string[] = [];
  const forcedIncludes: string[] = [];
  const macroIncludes: string[] = [];
  const defines = new Map<string, MacroDefinition>();
  const inputs: string[] = [];
  let language: string | undefined;
  let implicitPreinclude = true;
  let unsupported: string | undefined;
  const refuse = (why: string): void => {
    unsupported ??= why;
  };

  const words = canonicalWords(argv);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === "-I-") {
      refuse("-I- splits the search chain");
      continue;
    }
    if (word === "-Xpreprocessor" || word.startsWith("-Wp,")) {
      refuse(`${word} passes options to cpp that this analysis does not read`);
      if (word === "-Xpreprocessor") i++;
      continue;
    }
    if (word === "-nostdinc" || word === "-ffreestanding") implicitPreinclude = false;
    if (word === "-ffreestanding") continue;
    if (
      SEARCH_FLAGS.has(word) ||
      isTargetOption(word) ||
      word.startsWith("--sysroot=") ||
      word.startsWith("-stdlib=") ||
      word.startsWith("--target=")
    ) {
      searchArgs.push(word);
      continue;
    }
    if (word === "--sysroot" || word === "-target" || word === "-mllvm") {
      const value = words[++i];
      if (value !== undefined) searchArgs.push(word, value);
      continue;
    }
    const search = SEARCH_JOINED_OR_SEPARATE.find(
      (o) =>
        word === o ||
        (word.startsWith(o) && !SEARCH_JOINED_OR_SEPARATE.some((p) => p.length > o.length && word.startsWith(p))),
    );
    if (search) {
      const value = word === search ? words[++i] : word.slice(search.length);
      if (value === undefined) continue;
      // Relative directories are relative to the compile's directory; the probe runs elsewhere.
      const absolute =
        value.startsWith("=") ||
        value.startsWith("$SYSROOT") ||
        search === "-iwithprefix" ||
        search === "-iwithprefixbefore" ||
        isAbsolute(value)
          ? value
          : resolve(cwd, value);
      searchArgs.push(search, absolute);
      continue;
    }
    if (word === "-include" || word === "-imacros") {
      const value = words[++i];
      if (value !== undefined) (word === "-include" ? forcedIncludes : macroIncludes).push(value);
      continue;
    }
    if (word === "-D" || word === "-U" || word.startsWith("-D") || word.startsWith("-U")) {
      const value = word.length === 2 ? words[++i] : word.slice(2);
      if (value === undefined) continue;
      if (word.startsWith("-D")) {
        const def = defineFromOption(value);
        if (def) defines.set(def.name, def);
      } else defines.delete(value);
      continue;
    }
    if (word === "-x") {
      language = words[++i];
      continue;
    }
    if (word.startsWith("-x")) {
      language = word.slice(2);
      continue;
    }
    if (SEPARATE_VALUE.has(word)) {
      i++;
      continue;
    }
    if (word.startsWith("-")) continue;
    inputs.push(word);
  }

  if (inputs.length !== 1) refuse(inputs.length === 0 ? "no input file" : `${inputs.length} input files`);
  const input = resolve(cwd, inputs[0] ?? "");
  const lang = language ?? languageOf(input) ?? "c";
  if (lang !== "none" && !/^(c|c\+\+|objective-c|objective-c\+\+|c-header|c\+\+-header)$/.test(lang))
    refuse(`language ${lang} is not preprocessed C/C++`);
  const result: IncludeOptions = {
    input,
    language: lang === "none" ? (languageOf(input) ?? "c") : lang,
    searchArgs,
    forcedIncludes,
    macroIncludes,
    defines: [...defines.values()],
    implicitPreinclude,
  };
  if (unsupported !== undefined) result.unsupported = unsupported;
  return result;
}

/** The environment variables that add to the search chain behind the command's back (spec 9.10). */
export const SEARCH_ENVIRONMENT = [
  "CPATH",
  "C_INCLUDE_PATH",
  "CPLUS_INCLUDE_PATH",
  "OBJC_INCLUDE_PATH",
  "GCC_EXEC_PREFIX",
  "COMPILER_PATH",
] as const;

/** Why the environment makes the analysis unsure, or undefined. */
export function environmentBlocker(env: Record<string, string | undefined>): string | undefined {
  const set = SEARCH_ENVIRONMENT.find((name) => (env[name] ?? "") !== "");
  return set ? `${set} is set (it changes the include search behind the command's back)` : undefined;
}
