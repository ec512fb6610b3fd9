// Is a compiler command line distributable? A faithful port of distcc 3.4's `dcc_scan_args`
// (`src/arg.c`, Debian build), including its quirks, so that our server refuses exactly what a
// real client would not send and our client sends exactly what a real server accepts.
import {
  baseName,
  findExtension,
  isPreprocessedFile,
  isSourceFile,
  languageOfFile,
  type Language,
} from "./language.js";
import type { LocalReason } from "./reasons.js";
import { defaultReadFile, expandResponseFiles, ResponseFileError, type ReadTextFile } from "./response-files.js";
import { expandWpOptions } from "./wp-options.js";
import { planDependencies, type DependencyPlan } from "./dependencies.js";
import { readDriverWords } from "./driver-words.js";

export interface ScanOptions {
  /** Directory that relative `@file` names resolve against (default: `process.cwd()`). */
  cwd?: string;
  /** Environment for `DEPENDENCIES_OUTPUT` / `SUNPRO_DEPENDENCIES` (default: none, i.e. pure). */
  env?: Record<string, string | undefined>;
  /** Reads an `@file` (default: `fs.readFileSync(path, "utf8")`). Throw to leave `@file` as is. */
  readFile?: ReadTextFile;
}

export interface DistributableScan {
  distributable: true;
  /** The command after `@file` and `-Wp,` expansion, with `-o OUTPUT` appended when there was none
   * (spec 9.3). This is the command to run locally if the remote compile fails. */
  argv: string[];
  /** argv[0] as given (no name rewriting here: see `qualifiedCompilerName`). */
  compiler: string;
  input: string;
  /** `argv[inputIndex] === input`. */
  inputIndex: number;
  output: string;
  /** Index of the word holding the output: the word after `-o`, the joined `-oFILE` word, or a bare
   * `x.o` argument. */
  outputIndex: number;
  /** True when the output came from the command (not appended by the scan). */
  outputGiven: boolean;
  /** `-c` (object) or `-S` (assembler source); `-S` wins when both are present, as in gcc. */
  mode: "compile" | "assemble";
  /** From the last `-x` before the input, else from the input's extension. */
  language: Language;
  /** The input is `.i/.ii/.mi/.mii`: no local preprocessing, the file itself is sent. */
  preprocessed: boolean;
  /** The dependency file a local gcc would write, and how to make the local cpp write it there. */
  dependencies: DependencyPlan;
  /** clang `--target=X` / `-target X`, when present. */
  target?: string;
}

export interface LocalScan {
  distributable: false;
  /** The command after `@file` and `-Wp,` expansion: what to run locally. */
  argv: string[];
  reason: LocalReason;
}

export type ScanResult = DistributableScan | LocalScan;

// -x languages distcc distributes: a prefix test on the word after any "-x…" option.
const DISTRIBUTABLE_LANGUAGE_PREFIXES = ["c", "c++", "objective-c", "objective-c++", "go"];

function isProfilingOption(a: string): boolean {
  return (
    a === "-fprofile-arcs" ||
    a === "-ftest-coverage" ||
    a === "--coverage" ||
    a.startsWith("-fprofile-generate") ||
    a.startsWith("-fprofile-use") ||
    a.startsWith("-fauto-profile") ||
    a === "-fprofile-correction"
  );
}

function local(argv: string[], reason: LocalReason): LocalScan {
  return { distributable: false, argv, reason };
}

/** Output name for `gcc -c dir/x.c` without `-o`: `x.o` (or `x.s` with `-S`) in the current directory. */
function outputFromSource(input: string, extension: string): string | undefined {
  const base = baseName(input);
  if (base.length < 3) return undefined;
  const ext = findExtension(base);
  if (ext === undefined) return undefined;
  return base.slice(0, base.length - ext.length) + extension;
}

/**
 * Scan an already expanded command line (no `@file`, no `-Wp,`). Exposed for the server, which
 * receives expanded argv on the wire and must not read files on the client's behalf.
 */
export function scanExpandedArgs(argv: string[], env: Record<string, string | undefined> = {}): ScanResult {
  const argv0 = argv[0];
  if (argv0 === undefined) return local(argv, { code: "no-compiler" });
  if (argv0.startsWith("-")) return local(argv, { code: "no-compiler", argv0 });

  let seenC = false;
  let seenS = false;
  let input: string | undefined;
  let inputIndex = -1;
  let output: string | undefined;
  let outputIndex = -1;
  const n = argv.length;

  // distcc scans from argv[0] on (the compiler name included), so we do too.
  for (let i = 0; i < n; i++) {
    const a = argv[i]!;
    if (a.charCodeAt(0) === 45 /* - */) {
      let outputWord: string | undefined;
      if (a === "-E") {
        return local(argv, { code: "preprocess-only" });
      } else if (a === "-MD" || a === "-MMD" || a === "-MG" || a === "-MP") {
        // Side-effect dependency output: handled by the local cpp.
      } else if (a === "-MF" || a === "-MT" || a === "-MQ") {
        if (i + 1 >= n) return local(argv, { code: "missing-argument", option: a });
        i++;
      } else if (a.startsWith("-MF") || a.startsWith("-MT") || a.startsWith("-MQ")) {
        // Joined form, nothing to skip.
      } else if (a.charCodeAt(1) === 77 /* M */) {
        return local(argv, { code: "dependencies-only", option: a });
      } else if (a === "-march=native" || a === "-mtune=native" || a === "-mcpu=native") {
        // -mcpu=native is our addition (distcc 3.4 misses it, and a helper would then build for its
        // own CPU): local is always safe, the server never sees it.
        return local(argv, { code: "native-cpu", option: a });
      } else if (a === "-flto") {
        return local(argv, { code: "lto" });
      } else if (a.startsWith("-Wa,")) {
        if (a.includes(",-a") || a.includes("--MD")) return local(argv, { code: "assembler-listing", option: a });
      } else if (a.startsWith("-specs=")) {
        return local(argv, { code: "specs", option: a });
      } else if (a === "-S") {
        seenS = true;
      } else if (isProfilingOption(a)) {
        return local(argv, { code: "profiling", option: a });
      } else if (a === "-frepo") {
        return local(argv, { code: "frepo" });
      } else if (
        a.startsWith("-x") &&
        i + 1 < n &&
        !DISTRIBUTABLE_LANGUAGE_PREFIXES.some((p) => argv[i + 1]!.startsWith(p))
      ) {
        // distcc looks at the NEXT word even for the joined form `-xc++`: a quirk we keep, since a
        // real server applies the same test to what we send.
        return local(argv, { code: "unsupported-language", language: argv[i + 1]! });
      } else if (a.startsWith("-dr")) {
        return local(argv, { code: "rtl-dump", option: a });
      } else if (a === "-c") {
        seenC = true;
      } else if (a === "-o") {
        if (i + 1 >= n) return local(argv, { code: "missing-argument", option: a });
        i++;
        outputWord = argv[i]!;
      } else if (a.startsWith("-o")) {
        outputWord = a.slice(2);
      }
      if (outputWord !== undefined) {
        if (output !== undefined) return local(argv, { code: "multiple-outputs", outputs: [output, outputWord] });
        output = outputWord;
        outputIndex = i;
      }
    } else if (isSourceFile(a)) {
      if (input !== undefined) return local(argv, { code: "multiple-inputs", inputs: [input, a] });
      input = a;
      inputIndex = i;
    } else if (a.endsWith(".o")) {
      if (output !== undefined) return local(argv, { code: "multiple-outputs", outputs: [output, a] });
      output = a;
      outputIndex = i;
    }
  }

  if (!seenC && !seenS) return local(argv, { code: "no-compile-flag" });
  if (input === undefined) return local(argv, { code: "no-input" });
  const inputBase = baseName(input);
  if (inputBase.startsWith("conftest.") || inputBase.startsWith("tmp.conftest.")) {
    return local(argv, { code: "conftest", input });
  }

  let finalArgv = argv;
  const outputGiven = output !== undefined;
  if (output === undefined) {
    const appended = outputFromSource(input, seenS ? ".s" : ".o");
    if (appended === undefined) return local(argv, { code: "bad-input-name", input });
    const at = outputInsertionIndex(argv);
    finalArgv = [...argv.slice(0, at), "-o", appended, ...argv.slice(at)];
    output = appended;
    outputIndex = at + 1;
  }
  if (output === "-") return local(argv, { code: "output-to-stdout" });

  const result: DistributableScan = {
    distributable: true,
    argv: finalArgv,
    compiler: argv0,
    input,
    inputIndex,
    output,
    outputIndex,
    outputGiven,
    mode: seenS ? "assemble" : "compile",
    language: languageOf(argv, inputIndex, input),
    preprocessed: isPreprocessedFile(input),
    dependencies: planDependencies(argv, { input, output, outputGiven, env }),
  };
  const target = clangTarget(argv);
  if (target !== undefined) result.target = target;
  return result;
}

/**
 * Where the appended `-o NAME` goes: at the end, as distcc puts it, except before a trailing `-x`
 * option. distcc's scan (distccd's, and ours on the server) reads the word after any `-x…` as its
 * language, so `gcc x.c -c -xc -o x.o` would be refused there as language "-o"; for gcc a `-x`
 * after the last input has no effect wherever `-o` stands, so the moved command means the same.
 */
function outputInsertionIndex(argv: readonly string[]): number {
  const last = readDriverWords(argv).at(-1);
  return last?.option === "-x" && last.first === argv.length - 1 ? last.first : argv.length;
}

/** gcc semantics: the last `-x LANG` (or `-xLANG`) before the input applies; `-x none` resets. */
function languageOf(argv: readonly string[], inputIndex: number, input: string): Language {
  let lang: string | undefined;
  for (let i = 1; i < inputIndex; i++) {
    const a = argv[i]!;
    if (a === "-x") {
      lang = argv[++i];
    } else if (a.startsWith("-x")) {
      lang = a.slice(2);
    }
  }
  if (lang !== undefined && lang !== "none") return lang;
  return languageOfFile(input) ?? "c";
}

/** clang's target: `--target=X`, `-target X` (the last one wins, as in clang). */
function clangTarget(argv: readonly string[]): string | undefined {
  let target: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--target=")) target = a.slice(9);
    else if (a === "-target" && i + 1 < argv.length) target = argv[++i];
  }
  return target;
}

/**
 * Analyse a compiler command line (argv[0] = compiler) the way distcc 3.4's client does: expand
 * `@file` and `-Wp,`, then decide whether it can be compiled remotely, and if so what its input,
 * output, language and dependency file are.
 */
export function scanArgs(argv: readonly string[], opts: ScanOptions = {}): ScanResult {
  let afterResponseFiles: string[];
  try {
    afterResponseFiles = expandResponseFiles(argv, opts.readFile ?? defaultReadFile, opts.cwd ?? process.cwd());
  } catch (e) {
    // The compiler expands @file itself when run locally and reports the loop in its own words.
    if (e instanceof ResponseFileError) return local(argv.slice(), { code: "response-file-loop", file: e.file });
    throw e;
  }
  const expanded = expandWpOptions(afterResponseFiles);
  const env = opts.env ?? {};
  const result = scanExpandedArgs(expanded, env);
  if (result.distributable && expanded.length !== afterResponseFiles.length) {
    // gcc treats `-Wp,-MD,f` (cc1's own option, no driver -MQ) differently from `-MD -MF f`, so
    // the dependency plan looks at the words before -Wp, expansion.
    result.dependencies = planDependencies(afterResponseFiles, {
      input: result.input,
      output: result.output,
      outputGiven: result.outputGiven,
      env,
    });
  }
  return result;
}
