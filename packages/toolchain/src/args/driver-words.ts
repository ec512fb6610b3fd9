// How gcc's (and clang's) driver reads a command line, word by word: which words are options, what
// each option's canonical name is, and which following word it takes as its argument. The server
// decides on this canonical reading (server-policy.ts), never on the spelling a client chose, so
// `--plugin=x`, `--output x`, `--for-assembler=--MD=x` or `-MQ -ofoo` mean to us what they mean to
// gcc. The truth for this file is `gcc -###` on the machine (driver-words.gcc.test.ts).

/** One option (or operand) as the driver reads it. */
export interface DriverWord {
  /**
   * The canonical option: `-o`, `-x`, `-I`, `-Wa,`, `-Xassembler`, `-fplugin=x` (a word without a
   * separately known argument is its own canonical form), or `""` for an operand (an input file).
   */
  option: string;
  /** The argument of `option` when it takes one, joined or separate. */
  value?: string;
  /** Index of the first word in argv. */
  first: number;
  /** Index of the last word (first + 1 when the argument was a separate word). */
  last: number;
  /** How the client wrote it: the words joined with a space. */
  spelled: string;
  /**
   * Set when the word was a `--long` spelling: "alias" for a spelling gcc defines (`--output`),
   * "generic" for gcc's fallback that reads `--X` as `-fX` (and `--no-X` as `-fno-X`, `--warn-X` as
   * `-WX`, `--machine-X` as `-mX`), which gcc also accepts abbreviated.
   */
  long?: "alias" | "generic";
  /** The argument word is missing (the option is the last word). */
  missing?: boolean;
}

type ArgForm = "none" | "separate" | "joined-or-separate";

interface LongAlias {
  canonical: string;
  /** "separate": `--opt VALUE` and `--opt=VALUE`; "none": a flag. */
  arg: "none" | "separate";
}

// gcc's `--long` spellings (common.opt, c-family/c.opt: the `-foo Alias(...)` entries) and clang's
// few own ones. Each maps to the single-dash option it stands for.
const LONG_ALIASES: ReadonlyMap<string, LongAlias> = new Map<string, LongAlias>([
  ["--all-warnings", { canonical: "-Wall", arg: "none" }],
  ["--ansi", { canonical: "-ansi", arg: "none" }],
  ["--assemble", { canonical: "-S", arg: "none" }],
  ["--assert", { canonical: "-A", arg: "separate" }],
  ["--comments", { canonical: "-C", arg: "none" }],
  ["--comments-in-macros", { canonical: "-CC", arg: "none" }],
  ["--compile", { canonical: "-c", arg: "none" }],
  ["--config", { canonical: "--config", arg: "separate" }],
  ["--coverage", { canonical: "--coverage", arg: "none" }],
  ["--debug", { canonical: "-g", arg: "none" }],
  ["--define-macro", { canonical: "-D", arg: "separate" }],
  ["--dependencies", { canonical: "-M", arg: "none" }],
  ["--dump", { canonical: "-d", arg: "separate" }],
  ["--dumpbase", { canonical: "-dumpbase", arg: "separate" }],
  ["--dumpdir", { canonical: "-dumpdir", arg: "separate" }],
  ["--entry", { canonical: "-e", arg: "separate" }],
  ["--extra-warnings", { canonical: "-Wextra", arg: "none" }],
  ["--for-assembler", { canonical: "-Xassembler", arg: "separate" }],
  ["--for-linker", { canonical: "-Xlinker", arg: "separate" }],
  ["--force-link", { canonical: "-u", arg: "separate" }],
  ["--gcc-toolchain", { canonical: "--gcc-toolchain", arg: "separate" }],
  ["--imacros", { canonical: "-imacros", arg: "separate" }],
  ["--include", { canonical: "-include", arg: "separate" }],
  ["--include-barrier", { canonical: "-I-", arg: "none" }],
  ["--include-directory", { canonical: "-I", arg: "separate" }],
  ["--include-directory-after", { canonical: "-idirafter", arg: "separate" }],
  ["--include-prefix", { canonical: "-iprefix", arg: "separate" }],
  ["--include-with-prefix", { canonical: "-iwithprefix", arg: "separate" }],
  ["--include-with-prefix-after", { canonical: "-iwithprefix", arg: "separate" }],
  ["--include-with-prefix-before", { canonical: "-iwithprefixbefore", arg: "separate" }],
  ["--language", { canonical: "-x", arg: "separate" }],
  ["--library-directory", { canonical: "-L", arg: "separate" }],
  ["--no-integrated-cpp", { canonical: "-no-integrated-cpp", arg: "none" }],
  ["--no-line-commands", { canonical: "-P", arg: "none" }],
  ["--no-standard-includes", { canonical: "-nostdinc", arg: "none" }],
  ["--no-standard-libraries", { canonical: "-nostdlib", arg: "none" }],
  ["--no-warnings", { canonical: "-w", arg: "none" }],
  ["--optimize", { canonical: "-O", arg: "none" }],
  ["--output", { canonical: "-o", arg: "separate" }],
  ["--output-pch", { canonical: "--output-pch", arg: "separate" }],
  ["--param", { canonical: "--param", arg: "separate" }],
  ["--pass-exit-codes", { canonical: "-pass-exit-codes", arg: "none" }],
  ["--pedantic", { canonical: "-pedantic", arg: "none" }],
  ["--pedantic-errors", { canonical: "-pedantic-errors", arg: "none" }],
  ["--pipe", { canonical: "-pipe", arg: "none" }],
  ["--prefix", { canonical: "-B", arg: "separate" }],
  ["--preprocess", { canonical: "-E", arg: "none" }],
  ["--print-missing-file-dependencies", { canonical: "-MG", arg: "none" }],
  ["--profile", { canonical: "-p", arg: "none" }],
  ["--save-temps", { canonical: "-save-temps", arg: "none" }],
  ["--specs", { canonical: "-specs", arg: "separate" }],
  ["--std", { canonical: "-std=", arg: "separate" }],
  ["--sysroot", { canonical: "--sysroot", arg: "separate" }],
  ["--target", { canonical: "-target", arg: "separate" }],
  ["--trace-includes", { canonical: "-H", arg: "none" }],
  ["--traditional", { canonical: "-traditional", arg: "none" }],
  ["--traditional-cpp", { canonical: "-traditional-cpp", arg: "none" }],
  ["--trigraphs", { canonical: "-trigraphs", arg: "none" }],
  ["--undefine-macro", { canonical: "-U", arg: "separate" }],
  ["--user-dependencies", { canonical: "-MM", arg: "none" }],
  ["--verbose", { canonical: "-v", arg: "none" }],
  ["--write-dependencies", { canonical: "-MD", arg: "none" }],
  ["--write-user-dependencies", { canonical: "-MMD", arg: "none" }],
]);

// Single-dash options whose argument may be joined (`-Ifoo`) or the next word (`-I foo`). Longest
// first: the first prefix that matches wins, as in gcc's longest-match option lookup.
const JOINED_OR_SEPARATE: readonly string[] = [
  "-iwithprefixbefore",
  "-iwithprefix",
  "-iprefix",
  "-idirafter",
  "-imacros",
  "-include-pch",
  "-include",
  "-isysroot",
  "-isystem",
  "-iquote",
  "-imultilib",
  "-imultiarch",
  "-MF",
  "-MT",
  "-MQ",
  "-MJ",
  "-o",
  "-x",
  "-D",
  "-U",
  "-I",
  "-L",
  "-l",
  "-A",
  "-B",
];

// Single-dash options that take the next word as their argument, written only as one exact word.
const SEPARATE_ONLY: ReadonlySet<string> = new Set([
  "-Xassembler",
  "-Xpreprocessor",
  "-Xlinker",
  "-Xclang",
  "-Xanalyzer",
  "-Xopenmp-target",
  "-mllvm",
  "-target",
  "-specs",
  "-wrapper",
  "-dumpbase",
  "-dumpbase-ext",
  "-dumpdir",
  "-auxbase",
  "-auxbase-strip",
  "-aux-info",
  "-e",
  "-u",
  "-T",
  "-z",
  "-arch",
  "-gcc-toolchain",
  "-resource-dir",
  "-ivfsoverlay",
  "-serialize-diagnostics",
  "-index-store-path",
  "-main-file-name",
  "-working-directory",
]);

// `-Wa,X,Y`, `-Wp,X,Y`, `-Wl,X,Y`: the rest of the word is the value, split at commas by gcc.
const COMMA_PASSING: readonly string[] = ["-Wa,", "-Wp,", "-Wl,"];

/** gcc's fallback for `--X` words that are no option of their own (opts-common.cc, option_map). */
function genericLong(word: string): string {
  const body = word.slice(2);
  if (body.startsWith("warn-")) return `-W${body.slice(5)}`;
  if (body.startsWith("machine-")) return `-m${body.slice(8)}`;
  if (body.startsWith("machine=")) return `-m${body.slice(8)}`;
  if (body.startsWith("optimize=")) return `-O${body.slice(9)}`;
  if (body.startsWith("debug=")) return `-g${body.slice(6)}`;
  return `-f${body}`;
}

function readDash(word: string): { option: string; value?: string; form: ArgForm } {
  for (const prefix of COMMA_PASSING)
    if (word.startsWith(prefix)) return { option: prefix, value: word.slice(prefix.length), form: "none" };
  if (SEPARATE_ONLY.has(word)) return { option: word, form: "separate" };
  if (word.startsWith("-specs=")) return { option: "-specs", value: word.slice(7), form: "none" };
  for (const opt of JOINED_OR_SEPARATE) {
    if (word === opt) return { option: opt, form: "separate" };
    if (word.startsWith(opt)) return { option: opt, value: word.slice(opt.length), form: "none" };
  }
  return { option: word, form: "none" };
}

/**
 * The words of `argv` (argv[0], the compiler, excluded) as the driver reads them. Never throws: an
 * option whose argument is missing is marked `missing`. `@file` is reported as option `@`.
 */
export function readDriverWords(argv: readonly string[]): DriverWord[] {
  const words: DriverWord[] = [];
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    const first = i;
    const push = (option: string, value: string | undefined, form: ArgForm, long?: DriverWord["long"]): void => {
      const entry: DriverWord = { option, first, last: first, spelled: word };
      if (long) entry.long = long;
      if (form === "separate") {
        if (i + 1 < argv.length) {
          i++;
          entry.value = argv[i]!;
          entry.last = i;
          entry.spelled = `${word} ${argv[i]!}`;
        } else {
          entry.missing = true;
        }
      } else if (value !== undefined) {
        entry.value = value;
      }
      words.push(entry);
    };
    if (word.startsWith("@")) {
      push("@", word.slice(1), "none");
    } else if (word.length < 2 || !word.startsWith("-")) {
      push("", word, "none");
    } else if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const alias = LONG_ALIASES.get(name);
      if (alias !== undefined && alias.arg === "separate") {
        push(alias.canonical, eq < 0 ? undefined : word.slice(eq + 1), eq < 0 ? "separate" : "none", "alias");
      } else if (alias !== undefined && eq < 0) {
        push(alias.canonical, undefined, "none", "alias");
      } else {
        const canonical = readDash(genericLong(word));
        push(canonical.option, canonical.value, "none", "generic");
      }
    } else {
      const read = readDash(word);
      push(read.option, read.value, read.form);
    }
  }
  return words;
}

// Options gcc records joined with their value in COLLECT_GCC_OPTIONS (the others it records as two words).
const RECORDED_JOINED: Readonly<Record<string, string>> = {
  "-d": "-d",
  "-std=": "-std=",
  "--sysroot": "--sysroot=",
  "-specs": "-specs=",
  "--param": "--param=",
};

/**
 * The words in canonical form, the way gcc records them in COLLECT_GCC_OPTIONS (`-I` `/x`,
 * `-fplugin=x`, `--param=a=1`, `-std=c99`): what `gcc -###` shows, so tests can compare the two.
 */
export function canonicalWords(words: readonly DriverWord[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (w.option === "") out.push(w.value ?? "");
    else if (w.value === undefined) out.push(w.option);
    else if (RECORDED_JOINED[w.option] !== undefined) out.push(RECORDED_JOINED[w.option] + w.value);
    else if (w.option.endsWith(",")) out.push(w.option + w.value);
    else out.push(w.option, w.value);
  }
  return out;
}
