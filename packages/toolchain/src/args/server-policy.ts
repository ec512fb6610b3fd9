// Kept whole though long: the allow-list tables and the decision that reads them are reviewed
// together; a family split off into another file is where a gap would hide.
// What a server runs, decided on the driver's own reading of the command (driver-words.ts) against an
// allow-list of option families that are harmless on a helper: optimisation, warnings, code
// generation, target, language, defines, debug info, -c/-S. Everything else is refused, so an
// option gcc adds next year, or a spelling we did not think of, is refused rather than run. Options
// that only matter to the linker are dropped (with -c/-S no linker runs); output-naming words are
// dropped too, the server then adds its own single `-o`. docs/server-refusals.md has the list.
import { assemblerPartRefusal } from "./assembler-options.js";
import { readDriverWords, type DriverWord } from "./driver-words.js";
import { isSourceFile, languageOfFile } from "./language.js";

export interface ServerPolicyOptions {
  /** The request's protocol: 1/2 compile preprocessed text, 3 (pump) compiles sources. */
  protocol: 1 | 2 | 3;
  /** Protocol 3: the client's working directory (CDIR), to refuse paths that climb out of the root. */
  cwd?: string;
  /**
   * The compiler is clang. Only clang knows `-target`, `-mllvm` and `-Xclang`: gcc reads the word
   * after them as one of its own (`-target -specs x.c` is `-specs x.c` to gcc, `-target y` makes `y` a
   * second input), so for any other compiler they are refused. Default: not clang.
   */
  clang?: boolean;
}

/** Options only clang has, whose value gcc would read as a word of its own. */
const CLANG_ONLY = new Set(["-target", "-Xclang", "-mllvm"]);

interface ServerArgvRefusal {
  /** The words as the client wrote them. */
  spelled: string;
  /** What the driver reads them as (e.g. `-fplugin=./x.so` for `--plugin=./x.so`). */
  canonical: string;
  why: string;
}

export type ServerArgvDecision =
  | {
      ok: true;
      /** The command to run: argv[0], the kept words in order, no output word (add the server's own
       * `-o`), and for protocols 1/2 a `-x LANG-cpp-output` right before the input. */
      argv: string[];
      /** Index of the input word in `argv`. */
      inputIndex: number;
      /** The language the input is compiled as (for protocols 1/2 a preprocessed one). */
      language: string;
      /** Protocol 3: indexes in `argv` of include paths, moved under the job's root when absolute. */
      rootedPaths: number[];
      /** Protocol 3: indexes in `argv` of `-f{debug,file,macro}-prefix-map=OLD=NEW` words. */
      prefixMaps: number[];
      /** Protocol 3: index of the first separate `-MT` word; its value names the .d target. */
      dependencyTargetAt?: number;
      /** Protocol 3: `-MD` or `-MMD` is there. */
      writesDependencies: boolean;
    }
  | { ok: false; refusal: ServerArgvRefusal };

// Protocols 1/2 compile what the client preprocessed: the input is compiled as preprocessed text, in
// which gcc does not act on `#include` (a "stray #" error), whatever `-x` the client sent.
const PREPROCESSED_LANGUAGE: Readonly<Record<string, string>> = {
  c: "cpp-output",
  "c-cpp-output": "cpp-output",
  "cpp-output": "cpp-output",
  "c++": "c++-cpp-output",
  "c++-cpp-output": "c++-cpp-output",
  "objective-c": "objective-c-cpp-output",
  "objective-c-cpp-output": "objective-c-cpp-output",
  "objective-c++": "objective-c++-cpp-output",
  "objective-c++-cpp-output": "objective-c++-cpp-output",
};

// Protocol 3 compiles sources: the C family, as source or preprocessed.
const SOURCE_LANGUAGES: ReadonlySet<string> = new Set(Object.keys(PREPROCESSED_LANGUAGE));

const LOADS = "loads code chosen by the client into the compiler";
const RUNS = "makes the driver run programs chosen by the client";
const WRITES = "writes a file at a path the client chose";
const READS = "reads a server file the client names";
const SIDE = "writes side files the server would not return";

// Canonical options refused whatever their value, with the reason. Checked before the families
// below, so `-gcc-toolchain` is not taken for a `-g` option nor `-mllvm` for an `-m` one.
const REFUSED: ReadonlyMap<string, string> = new Map([
  ["@", "@file makes the compiler read options from a server file (a real client expands @file before sending)"],
  ["-B", `-B ${RUNS} (cc1, as and collect2 are looked up there)`],
  ["-specs", "-specs reads a specs file, which can run any command"],
  ["-wrapper", `-wrapper ${RUNS} (every subcommand runs under it)`],
  ["-save-temps", `-save-temps ${SIDE}`],
  ["-dumpbase", `-dumpbase names auxiliary outputs, possibly in another directory`],
  ["-dumpbase-ext", `-dumpbase-ext names auxiliary outputs`],
  ["-dumpdir", `-dumpdir ${WRITES} (auxiliary outputs)`],
  ["-auxbase", "-auxbase names auxiliary outputs"],
  ["-auxbase-strip", "-auxbase-strip names auxiliary outputs"],
  ["-aux-info", `-aux-info ${WRITES}`],
  ["--coverage", `--coverage ${SIDE} (a real client keeps it local)`],
  ["--config", `--config ${READS} (clang configuration file)`],
  ["--gcc-toolchain", `--gcc-toolchain ${RUNS} (clang looks up the assembler and linker there)`],
  ["-gcc-toolchain", `-gcc-toolchain ${RUNS}`],
  ["-resource-dir", `-resource-dir ${READS} (clang's own headers and runtime)`],
  ["-ivfsoverlay", `-ivfsoverlay ${READS}`],
  ["-serialize-diagnostics", `-serialize-diagnostics ${WRITES}`],
  ["-index-store-path", `-index-store-path ${WRITES}`],
  ["-include-pch", `-include-pch ${READS}`],
  ["-MJ", `-MJ ${WRITES}`],
  ["--output-pch", `--output-pch ${WRITES}`],
  ["-iprefix", "-iprefix builds include paths the server cannot check"],
  ["-iwithprefix", "-iwithprefix builds include paths the server cannot check"],
  ["-iwithprefixbefore", "-iwithprefixbefore builds include paths the server cannot check"],
  ["-imultilib", "-imultilib changes where system headers are read"],
  ["-imultiarch", "-imultiarch changes where system headers are read"],
  ["-E", "-E is no compile"],
  ["-M", "-M is no compile (it implies -E)"],
  ["-MM", "-MM is no compile (it implies -E)"],
  ["-Xanalyzer", "-Xanalyzer passes raw options to clang's analyzer"],
  ["-Xopenmp-target", "-Xopenmp-target passes raw options to another toolchain"],
  ["-main-file-name", "-main-file-name is a cc1 option"],
  ["-working-directory", `-working-directory ${READS}`],
]);

// Linker-only options: with -c/-S the driver never runs the linker, so they are dropped rather than
// refused (a real client strips most of them in protocols 1/2 already).
const LINKER_WITH_VALUE: ReadonlySet<string> = new Set(["-Wl,", "-Xlinker", "-L", "-l"]);
const LINKER_FLAGS: ReadonlySet<string> = new Set([
  "-static",
  "-shared",
  "-rdynamic",
  "-pie",
  "-no-pie",
  "-static-pie",
  "-static-libgcc",
  "-static-libstdc++",
  "-static-libasan",
  "-shared-libgcc",
  "-nostdlib",
  "-nostdlib++",
  "-nostartfiles",
  "-nodefaultlibs",
  "-s",
]);

// Flags harmless on a helper that belong to no family below.
const FLAGS: ReadonlySet<string> = new Set([
  "-c",
  "-S",
  "-w",
  "-pedantic",
  "-pedantic-errors",
  "-ansi",
  "-pipe",
  "-pthread",
  "-pg",
  "-p",
  "-nostdinc",
  "-nostdinc++",
  "-nostdlibinc",
  "-undef",
  "-Qunused-arguments",
  "-Qn",
  "-Qy",
  "-no-canonical-prefixes",
  "-integrated-as",
]);

/**
 * Options that make the driver run a program it looks up in directories the client can shape
 * (a fresh attacker's try: clang with a relative `--sysroot` into the pump tree found a "GCC
 * installation" there and, with `-no-integrated-as`, ran a LINKed `make` as its assembler).
 */
const RUNS_FOUND_PROGRAMS = new Map([
  ["-no-integrated-as", "runs an external assembler found through the program search path"],
  ["-fno-integrated-as", "runs an external assembler found through the program search path"],
]);

// `-fNAME` flags (and `-fno-NAME`) are harmless unless NAME starts with one of these: they load
// plugins, dump compiler internals into files, read or write profiles, re-run the compile with
// other options, or read and write module files.
const F_REFUSED_STEMS: readonly string[] = [
  "plugin",
  "pass-plugin",
  "dump",
  "opt-info",
  "profile",
  "auto-profile",
  "compare-debug",
  "deps",
  "module",
  "modules",
  "test-coverage",
  "coverage",
  "crash-diagnostics",
  "save-temps",
  "sanitize-blacklist",
  "sanitize-ignorelist",
  "sanitize-coverage-allowlist",
  "sanitize-coverage-ignorelist",
  "xray-attr-list",
  "xray-always-instrument",
  "xray-never-instrument",
  "prebuilt-module",
  "embed-bitcode-marker",
  "diagnostics-generate-patch",
];

// `-fNAME=VALUE` options allowed, all of them strings, numbers or names. The prefix maps' values
// are paths but only rewrite the names written into the object; no file is opened.
const F_WITH_VALUE: ReadonlySet<string> = new Set([
  "visibility",
  "stack-check",
  "cf-protection",
  "patchable-function-entry",
  "zero-call-used-regs",
  "trivial-auto-var-init",
  "strict-flex-arrays",
  "min-function-alignment",
  "align-functions",
  "align-jumps",
  "align-loops",
  "align-labels",
  "sanitize",
  "no-sanitize",
  "sanitize-recover",
  "no-sanitize-recover",
  "sanitize-trap",
  "no-sanitize-trap",
  "sanitize-coverage",
  "no-sanitize-coverage",
  "sanitize-address-use-after-return",
  "sanitize-memory-track-origins",
  "debug-prefix-map",
  "file-prefix-map",
  "macro-prefix-map",
  "diagnostics-color",
  "color-diagnostics",
  "message-length",
  "diagnostics-column-unit",
  "diagnostics-column-origin",
  "diagnostics-urls",
  "diagnostics-path-format",
  "diagnostics-show-location",
  "diagnostics-minimum-margin-width",
  "template-depth",
  "template-backtrace-limit",
  "constexpr-depth",
  "constexpr-loop-limit",
  "constexpr-ops-limit",
  "constexpr-steps",
  "constexpr-backtrace-limit",
  "constexpr-cache-depth",
  "bracket-depth",
  "abi-version",
  "abi-compat-version",
  "lto",
  "lto-partition",
  "excess-precision",
  "fp-contract",
  "tls-model",
  "inline-limit",
  "max-errors",
  "error-limit",
  "macro-backtrace-limit",
  "pack-struct",
  "permitted-flt-eval-methods",
  "exec-charset",
  "input-charset",
  "wide-exec-charset",
  "random-seed",
  "frame-pointer",
  "vect-cost-model",
  "simd-cost-model",
  "ira-algorithm",
  "ira-region",
  "stack-reuse",
  "live-patching",
  "fp-model",
  "ffp-exception-behavior",
  "fp-exception-behavior",
  "denormal-fp-math",
  "denormal-fp-math-f32",
  "use-init-array",
  "ms-compatibility-version",
  "debug-default-version",
  "asan-shadow-offset",
  "zero-init-padding-bits",
  "max-include-depth",
  "sched-stalled-insns",
  "sched-stalled-insns-dep",
  "stack-limit-register",
  "stack-limit-symbol",
  "hardened",
  "strict-overflow",
  "signed-char",
  "unsigned-char",
  "openmp-version",
  "ident",
  "lax-vector-conversions",
  "complex-method",
  "float-store",
  "function-return",
  "indirect-branch",
  "fixed-point",
  "ipa-sra",
  "pic",
  "pie",
  "cx-fortran-rules",
  "inline-max-stacksize",
  "split-lto-unit",
  "lto-unit",
  "ms-memptr-rep",
  "vectorize",
  "slp-vectorize",
  "ssa-phiopt",
  "sso-struct",
  "char8_t",
  "new-alignment",
  "normalize",
  "extended-identifiers",
  "uniform-simt",
  "warn-stack-size",
  "instrument-functions-exclude-function-list",
  "diagnostics-format",
  "semantic-interposition",
  "trapv",
  "wrapv",
  "finite-loops",
  "auto-var-init",
  "sanitize-address-field-padding",
  "sanitize-undefined-trap-on-error",
  "tabstop",
  "callgraph-info",
  "lto-compression-level",
  "reorder-blocks-algorithm",
  "tree-parallelize-loops",
  "vtable-verify",
]);
// Values that name files or write them (`-fdiagnostics-format=sarif-file`, `-flto=jobserver` is fine).
const F_VALUE_ONLY: Readonly<Record<string, ReadonlySet<string>>> = {
  // Not sarif-stderr: SARIF embeds the contents of the files the diagnostics name.
  "diagnostics-format": new Set(["text", "json", "json-stderr"]),
};
const F_PATH_VALUES: ReadonlySet<string> = new Set(["debug-prefix-map", "file-prefix-map", "macro-prefix-map"]);
const PREFIX_MAP = /^-f(?:debug|file|macro)-prefix-map=/;

/** A value without `/` or leading `@`: a name, a number or a list, never a path. */
const PLAIN_VALUE = /^[A-Za-z0-9_.,:+*=-]*$/;

// cc1 options passed with -Xclang that are harmless (besides the -f/-W/-O families).
const XCLANG_EXACT: ReadonlySet<string> = new Set([
  "-disable-O0-optnone",
  "-disable-llvm-passes",
  "-disable-llvm-optzns",
]);

function fRefusal(word: string): string | undefined {
  const body = word.slice(2);
  const eq = body.indexOf("=");
  const name = eq < 0 ? body : body.slice(0, eq);
  const stem = name.startsWith("no-") ? name.slice(3) : name;
  for (const refused of F_REFUSED_STEMS) {
    if (stem.startsWith(refused)) return `${word} ${describeFStem(refused)}`;
  }
  if (eq < 0)
    return /^[A-Za-z0-9][A-Za-z0-9_+.-]*$/.test(body) ? undefined : `${word} is not an option the server knows`;
  const value = body.slice(eq + 1);
  if (!F_WITH_VALUE.has(name))
    return `-f${name}= is not on the server's list of -f options with a value (those that take a file are refused)`;
  const only = F_VALUE_ONLY[name];
  if (only !== undefined) return only.has(value) ? undefined : `${word}: this value writes or reads a file`;
  if (F_PATH_VALUES.has(name)) return undefined;
  return PLAIN_VALUE.test(value) ? undefined : `${word}: the value of -f${name}= must be a name or a number`;
}

function describeFStem(stem: string): string {
  if (stem === "plugin" || stem === "pass-plugin") return LOADS;
  if (stem === "compare-debug") return "re-runs the compile with options chosen by the client (e.g. -fplugin=)";
  if (stem.startsWith("profile") || stem === "auto-profile" || stem === "test-coverage" || stem === "coverage") {
    return "reads or writes profile data at a path the client may choose (a real client keeps it local)";
  }
  if (stem === "dump" || stem === "opt-info")
    return `dumps compiler internals into files (with =FILE at a path the client chose)`;
  if (stem.startsWith("module") || stem === "deps" || stem === "prebuilt-module")
    return "reads or writes module files outside the job";
  return "reads or writes a file the client names";
}

function climbs(cwd: string, path: string): boolean {
  let depth = path.startsWith("/") ? 0 : cwd.split("/").filter((s) => s !== "" && s !== ".").length;
  for (const segment of path.split("/")) {
    if (segment === "..") {
      if (--depth < 0) return true;
    } else if (segment !== "" && segment !== ".") depth++;
  }
  return false;
}

/** Protocol 3: why a path option's value is refused (it must stay in the re-rooted tree). */
function pumpPathRefusal(option: string, value: string, cwd: string): string | undefined {
  if (value.startsWith("=") || value.startsWith("$SYSROOT"))
    return `${option} ${value}: a sysroot-relative path is not re-rooted into the job`;
  if (climbs(cwd, value)) return `the path of ${option} climbs out of the job's root with ..`;
  return undefined;
}

/**
 * Protocol 3: the parts of `-Wp,` (cc1's own options), rewritten. A dependency file named there
 * (`-Wp,-MD,FILE`, `-Wp,-MMD,FILE`, `-Wp,-MF,FILE`, the kernel's way) could be written through a
 * client LINK to anywhere: `-MD`/`-MMD` become the driver's, whose file is the server's own, and
 * the name is dropped (distccd wrote it into the job tree, where nobody read it).
 */
function wpRewrite(parts: string[]): Verdict {
  const kept: string[] = [];
  const driver: string[] = [];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (/^-[DU]./.test(part) || part === "-MP" || part === "-MG") {
      kept.push(part);
    } else if (part === "-D" || part === "-U" || part === "-MT" || part === "-MQ") {
      if (p + 1 >= parts.length) return { refuse: `-Wp,${part} lacks its argument` };
      kept.push(part, parts[++p]!);
    } else if (part === "-MD" || part === "-MMD" || part === "-MF") {
      if (++p >= parts.length) return { refuse: `-Wp,${part} lacks its file` };
      if (part !== "-MF") driver.push(part);
    } else {
      return { refuse: `preprocessor option ${JSON.stringify(part)} in -Wp, is not on the server's list` };
    }
  }
  return { keep: [...(kept.length > 0 ? [`-Wp,${kept.join(",")}`] : []), ...driver] };
}

function mllvmRefusal(payload: string): string | undefined {
  const m = /^-([A-Za-z0-9_-]+)(=([A-Za-z0-9_.,+-]*))?$/.exec(payload);
  if (!m || /load|plugin|file|output|path|dir|dump|remarks|stats|print|debug/i.test(m[1]!)) {
    return `-mllvm ${payload}: only plain LLVM tuning options pass (no files, no plugins)`;
  }
  return undefined;
}

function xclangRefusal(payload: string): string | undefined {
  if (XCLANG_EXACT.has(payload)) return undefined;
  // Some cc1 options take their value as the *next* cc1 word (-fopenmp-host-ir-file-path FILE):
  // that word is the driver's or the client's next -Xclang payload, checked as an option, not as
  // the file it becomes. Those that name a file or a directory are refused.
  if (payload.startsWith("-f") && !payload.includes("=") && /file|path|dir/i.test(payload)) {
    return `-Xclang ${payload}: cc1 reads its next word as a file or directory`;
  }
  if (payload.startsWith("-f") && payload.length > 2) return fRefusal(payload);
  if (/^-W[A-Za-z0-9_=+.-]*$/.test(payload) && !payload.includes(",")) return undefined;
  if (/^-O([0-9sgz]|fast)?$/.test(payload)) return undefined;
  return `-Xclang ${payload} passes a raw cc1 option that is not on the server's list`;
}

interface Verdict {
  /** Keep these words (the client's own spelling unless rewritten). */
  keep?: string[];
  /** Protocol 3: keep[1] is a path to move under the job's root when absolute. */
  rooted?: boolean;
  /** Why the word is refused. */
  refuse?: string;
}

const keepAsWritten = (w: DriverWord, argv: readonly string[]): string[] => argv.slice(w.first, w.last + 1);

/** The verdict on one canonical option (operands, `-o` and `-x` are handled by the caller). */
function judge(w: DriverWord, argv: readonly string[], opts: ServerPolicyOptions): Verdict {
  const o = w.option;
  const pump = opts.protocol === 3;
  const cwd = opts.cwd ?? "/";
  const runs = RUNS_FOUND_PROGRAMS.get(o);
  if (runs) return { refuse: `${w.spelled} ${runs}` };
  if (CLANG_ONLY.has(o) && !opts.clang) {
    return {
      refuse: `${w.spelled} is a clang option: gcc would read ${JSON.stringify(w.value ?? "")} as a word of its own`,
    };
  }
  const refusedWhy = REFUSED.get(o);
  if (refusedWhy !== undefined) return { refuse: refusedWhy };
  if (w.missing) return { refuse: `${o} needs an argument but is the last word` };
  if (LINKER_WITH_VALUE.has(o) || LINKER_FLAGS.has(o) || o.startsWith("-fuse-ld=")) return { keep: [] };
  if (FLAGS.has(o)) return { keep: keepAsWritten(w, argv) };
  switch (o) {
    case "-D":
    case "-U":
      // A macro name never starts with `-` or is empty; such a value is only ever a word meant to
      // be read as an option by some other reader of the command line (a response file's
      // tokenizer that drops an empty word shifted `-D "" -D -fplugin=...` into a plugin).
      if (w.value === "" || w.value!.startsWith("-"))
        return { refuse: `${w.spelled}: ${JSON.stringify(w.value)} is no macro name` };
      return { keep: keepAsWritten(w, argv) };
    case "-I":
    case "-isystem":
    case "-iquote":
    case "-idirafter": {
      if (!pump) return { keep: [] }; // the text is preprocessed already: no header is read
      if (w.value === "-" || w.value === "") return { refuse: `${w.spelled}: an empty or "-" include path is refused` };
      const why = pumpPathRefusal(o, w.value!, cwd);
      return why ? { refuse: why } : { keep: [o, w.value!], rooted: true };
    }
    case "-include":
    case "-imacros": {
      if (!pump) return { refuse: `${o} ${READS}; a real client strips it in protocols 1/2` };
      const why = pumpPathRefusal(o, w.value!, cwd);
      return why ? { refuse: why } : { keep: [o, w.value!], rooted: true };
    }
    case "-MD":
    case "-MMD":
      return pump ? { keep: [o] } : { refuse: `${o} writes a .d file; a real client strips it in protocols 1/2` };
    case "-MF":
      // Protocol 3: the server appends its own -MF (the .d it returns); the client's is dropped.
      return pump ? { keep: [] } : { refuse: `-MF ${WRITES}; a real client strips it in protocols 1/2` };
    case "-MT":
    case "-MQ":
      return pump ? { keep: keepAsWritten(w, argv) } : { keep: [] };
    case "-MP":
    case "-MG":
      return pump ? { keep: [o] } : { keep: [] };
    case "-isysroot":
    case "--sysroot":
      // A relative sysroot is the client's own tree in pump mode, where a driver looks for
      // toolchain files and programs: only an absolute one (a tree of the helper's) passes.
      if (!(w.value ?? "").startsWith("/"))
        return { refuse: `${w.spelled}: a relative sysroot is refused (it would be the client's files)` };
      // /proc/self/cwd/..., /dev/fd/N: absolute names of the client's tree all the same.
      if (/^\/(proc|dev)(\/|$)|(^|\/)\.\.(\/|$)/.test(w.value!))
        return {
          refuse: `${w.spelled}: a sysroot under /proc or /dev, or with "..", is refused (it can name the client's files)`,
        };
      return o === "--sysroot" ? { keep: [`--sysroot=${w.value!}`] } : { keep: keepAsWritten(w, argv) };
    case "-target":
      return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(w.value!)
        ? { keep: keepAsWritten(w, argv) }
        : { refuse: `${w.spelled}: not a target triple` };
    case "--param":
      return /^[a-z0-9_-]+=[A-Za-z0-9_.-]+$/.test(w.value!)
        ? { keep: [`--param=${w.value!}`] }
        : { refuse: `--param ${w.value!}: not NAME=VALUE` };
    case "-std=":
      return /^[a-z0-9+]+$/.test(w.value!)
        ? { keep: [`-std=${w.value!}`] }
        : { refuse: `-std=${w.value!}: not a standard name` };
    case "-Wa,": {
      for (const part of w.value!.split(",")) {
        const why = assemblerPartRefusal(part);
        if (why !== undefined) return { refuse: why };
      }
      return { keep: keepAsWritten(w, argv) };
    }
    case "-Xassembler": {
      const why = assemblerPartRefusal(w.value!);
      return why ? { refuse: why } : { keep: ["-Xassembler", w.value!] };
    }
    case "-Wp,": {
      if (!pump) return { refuse: "-Wp, passes raw preprocessor options; a real client strips it in protocols 1/2" };
      return wpRewrite(w.value!.split(","));
    }
    case "-Xpreprocessor":
      return pump && /^-[DU]./.test(w.value!)
        ? { keep: keepAsWritten(w, argv) }
        : { refuse: `-Xpreprocessor ${w.value!}: raw preprocessor options other than -D/-U are refused` };
    case "-Xclang": {
      const why = xclangRefusal(w.value!);
      return why ? { refuse: why } : { keep: keepAsWritten(w, argv) };
    }
    case "-mllvm": {
      const why = mllvmRefusal(w.value!);
      return why ? { refuse: why } : { keep: keepAsWritten(w, argv) };
    }
  }
  if (o.startsWith("-f")) {
    const why = fRefusal(o);
    return why ? { refuse: why } : { keep: [o] };
  }
  if (/^-O([0-9]*|s|g|z|fast)$/.test(o)) return { keep: [o] };
  if (o.startsWith("-std="))
    return /^-std=[a-z0-9+]+$/.test(o) ? { keep: [o] } : { refuse: `${o}: not a standard name` };
  if (o.startsWith("-stdlib="))
    return /^-stdlib=(libc\+\+|libstdc\+\+|platform)$/.test(o)
      ? { keep: [o] }
      : { refuse: `${o}: not a C++ library name` };
  if (o.startsWith("-W")) {
    return /^-W[A-Za-z0-9_=+.-]*$/.test(o) ? { keep: [o] } : { refuse: `${o} is not a warning option` };
  }
  if (o.startsWith("-g")) {
    return /^-g[A-Za-z0-9_=.+-]*$/.test(o) ? { keep: [o] } : { refuse: `${o}: a debug option with a path is refused` };
  }
  if (o.startsWith("-m")) {
    return /^-m[A-Za-z0-9_.=+,-]+$/.test(o)
      ? { keep: [o] }
      : { refuse: `${o}: a target option with a path is refused` };
  }
  if (o.startsWith("-print-") || o.startsWith("-d"))
    return { refuse: `${o} is no compile, or dumps compiler internals into files` };
  return { refuse: `${o} is not on the server's list of options known to be harmless on a helper` };
}

/** The canonical spelling of a word, for messages. */
function canonicalOf(w: DriverWord): string {
  if (w.option === "") return w.value ?? "";
  if (w.value === undefined) return w.option;
  if (
    w.option === "@" ||
    w.option.endsWith("=") ||
    w.option.endsWith(",") ||
    /^-[DUIoxLlAB]$|^-M[FTQJ]$/.test(w.option)
  )
    return `${w.option}${w.value}`;
  return `${w.option} ${w.value}`;
}

function refusal(w: DriverWord, why: string): ServerArgvDecision {
  return { ok: false, refusal: { spelled: w.spelled, canonical: canonicalOf(w), why } };
}

/**
 * Decides whether a server runs `argv` (a received command, `-o` appended by the scan when missing)
 * and what exactly it runs. Refuses the first word outside the allow-list, with the reason.
 */
export function decideServerArgv(argv: readonly string[], opts: ServerPolicyOptions): ServerArgvDecision {
  const words = readDriverWords(argv);
  const out: string[] = [argv[0] ?? ""];
  const pump = opts.protocol === 3;
  let inputAt = -1;
  let input: DriverWord | undefined;
  let language: string | undefined;
  let inputLanguage: string | undefined;
  let action = false;
  const rootedPaths: number[] = [];
  const prefixMaps: number[] = [];
  let dependencyTargetAt: number | undefined;
  let writesDependencies = false;
  for (const w of words) {
    if (w.long === "generic") {
      const inner = { ...w, long: undefined };
      const why = w.option.startsWith("-f") ? fRefusal(w.option) : undefined;
      return refusal(
        inner,
        `${w.spelled} is gcc's long spelling of ${canonicalOf(w)}${why ? `, which ${why.replace(/^\S+ /, "")}` : ""}; the server accepts no such spelling (gcc also takes it abbreviated)`,
      );
    }
    if (w.long === "alias" && !["--param", "--sysroot", "-target"].includes(w.option)) {
      const inner = REFUSED.get(w.option);
      return refusal(
        w,
        `${w.spelled} is gcc's long spelling of ${canonicalOf(w)}${inner ? ` (${inner})` : ""}; the server accepts only the usual spelling`,
      );
    }
    if (w.option === "") {
      const word = w.value ?? "";
      if (isSourceFile(word) && input === undefined) {
        input = w;
        inputLanguage = language;
        if (pump && opts.cwd !== undefined && climbs(opts.cwd, word))
          return refusal(w, "the input path climbs out of the job's root with ..");
        if (!pump) out.push("-x", "<language>");
        inputAt = out.length;
        out.push(word);
        continue;
      }
      if (word.endsWith(".o")) continue; // distcc reads a bare x.o as the output: the server names its own
      return refusal(
        w,
        input === undefined
          ? `${JSON.stringify(word)} is no source file the server compiles`
          : `a second file operand ${JSON.stringify(word)} would be read by the compiler`,
      );
    }
    if (w.option === "-o") {
      if (w.missing) return refusal(w, "-o needs an argument but is the last word");
      continue; // every output word goes: the server adds its own single -o
    }
    if (w.option === "-x") {
      if (w.missing) return refusal(w, "-x needs an argument but is the last word");
      const lang = w.value!;
      if (lang !== "none" && !SOURCE_LANGUAGES.has(lang))
        return refusal(w, `-x ${lang}: the server compiles only C, C++, Objective-C and Objective-C++`);
      language = lang === "none" ? undefined : lang;
      if (pump) out.push(...keepAsWritten(w, argv));
      continue;
    }
    if (w.option === "-c" || w.option === "-S") action = true;
    const verdict = judge(w, argv, opts);
    if (verdict.refuse !== undefined) return refusal(w, verdict.refuse);
    if (verdict.rooted) rootedPaths.push(out.length + 1);
    if (pump && verdict.keep?.length === 1 && PREFIX_MAP.test(verdict.keep[0]!)) prefixMaps.push(out.length);
    if (pump && w.option === "-MT" && w.last > w.first && dependencyTargetAt === undefined)
      dependencyTargetAt = out.length;
    if (pump && (verdict.keep ?? []).some((k) => k === "-MD" || k === "-MMD")) writesDependencies = true;
    out.push(...(verdict.keep ?? []));
  }
  if (input === undefined)
    return { ok: false, refusal: { spelled: "", canonical: "", why: "no source file to compile" } };
  if (!action) return { ok: false, refusal: { spelled: "", canonical: "", why: "neither -c nor -S: not a compile" } };
  const fileLanguage = languageOfFile(input.value!) ?? "c";
  const effective = inputLanguage ?? fileLanguage;
  if (pump) {
    if (!SOURCE_LANGUAGES.has(effective))
      return refusal(input, `${input.value!} is compiled as ${effective}; the server compiles only the C family`);
    const decision: ServerArgvDecision = {
      ok: true,
      argv: out,
      inputIndex: inputAt,
      language: effective,
      rootedPaths,
      prefixMaps,
      writesDependencies,
    };
    if (dependencyTargetAt !== undefined) decision.dependencyTargetAt = dependencyTargetAt;
    return decision;
  }
  const preprocessed = PREPROCESSED_LANGUAGE[effective];
  if (preprocessed === undefined)
    return refusal(
      input,
      `${input.value!} is compiled as ${effective}; the server compiles only preprocessed C-family text`,
    );
  out[inputAt - 1] = preprocessed;
  return {
    ok: true,
    argv: out,
    inputIndex: inputAt,
    language: preprocessed,
    rootedPaths: [],
    prefixMaps: [],
    writesDependencies: false,
  };
}

export type AcceptedServerArgv = Extract<ServerArgvDecision, { ok: true }>;

export interface PolicyJobPaths {
  /** Protocols 1/2: the temporary preprocessed input. */
  input: string;
  /** The object the compiler writes (the only `-o`). */
  output: string;
  /** Protocol 3: the job's root (the client's files are under it). Selects the protocol 3 rewrite. */
  root?: string;
  /** Protocol 3: where the compiler writes the .d file. */
  depsFile?: string;
}

export interface PolicyJobCommand {
  argv: string[];
  /** Protocol 3: the value of the first separate `-MT` (removed from argv), the .d file's target. */
  dependencyTarget?: string;
  depsFile?: string;
}

/**
 * The command a server runs for an accepted argv: its own input (protocols 1/2) and its own single
 * `-o`; for protocol 3 as distccd (spec 8.4): absolute include paths and input under the root, the
 * first `-MT X` pair taken out as the .d target, `-MMD` when no `-MD`/`-MMD`, and `-MF depsFile`.
 * Positions come from the canonical reading, never from searching words (a `-o` that is the value
 * of `-MQ` or `-D` stays what it is).
 */
export function serverJobCommand(accepted: AcceptedServerArgv, job: PolicyJobPaths): PolicyJobCommand {
  const argv = accepted.argv.slice();
  if (job.root === undefined) {
    argv[accepted.inputIndex] = job.input;
    argv.push("-o", job.output);
    return { argv };
  }
  const root = job.root.replace(/\/+$/, "");
  for (const at of accepted.rootedPaths) if (argv[at]!.startsWith("/")) argv[at] = root + argv[at]!;
  // The client's prefix maps name its own paths, which the compiler sees under the root here.
  for (const at of accepted.prefixMaps) {
    const word = argv[at]!;
    const eq = word.indexOf("=");
    if (word[eq + 1] === "/") argv[at] = `${word.slice(0, eq + 1)}${root}${word.slice(eq + 1)}`;
  }
  const input = argv[accepted.inputIndex]!;
  if (input.startsWith("/")) argv[accepted.inputIndex] = `${root}/${input.replace(/^\/+/, "")}`;
  const result: PolicyJobCommand = { argv };
  let final = argv;
  const mt = accepted.dependencyTargetAt;
  if (mt !== undefined) {
    result.dependencyTarget = argv[mt + 1]!;
    final = [...argv.slice(0, mt), ...argv.slice(mt + 2)];
  }
  const depsFile = job.depsFile ?? `${job.output}.deps`;
  // The root taken off every file name the compile records (__FILE__, debug info), so objects are
  // the client's own: the kernel's WARN()s print `kernel/x.c`, not the job folder. First, because
  // gcc and clang try the last given map first: the client's maps, rewritten above, win.
  final.splice(1, 0, `-fmacro-prefix-map=${root}=`, `-fdebug-prefix-map=${root}=`);
  final.push("-o", job.output);
  if (!accepted.writesDependencies) final.push("-MMD");
  final.push("-MF", depsFile);
  result.argv = final;
  result.depsFile = depsFile;
  return result;
}
