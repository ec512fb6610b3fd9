// Why a command line must run locally. Each reason is a typed value with a stable `code`, so the
// client can log it, tests can check it, and later work can act on it (e.g. replace
// `-march=native` by the concrete flags and distribute after all).

export type LocalReason =
  /** `-E`: the user wants preprocessor output. */
  | { code: "preprocess-only" }
  /** `-M`, `-MM` or another `-M…` that implies `-E`. */
  | { code: "dependencies-only"; option: string }
  /** Neither `-c` nor `-S`: a link (or a query such as `--version`). */
  | { code: "no-compile-flag" }
  /** No source file seen (stdin `-`, `.s`/`.S`, unknown extensions). */
  | { code: "no-input" }
  /** Two source files on one command line. */
  | { code: "multiple-inputs"; inputs: string[] }
  /** Two outputs (`-o` twice, or `-o` plus a `.o` argument: a link). */
  | { code: "multiple-outputs"; outputs: string[] }
  /** `-o -`. */
  | { code: "output-to-stdout" }
  /** An autoconf probe (`conftest.*`, `tmp.conftest.*`). */
  | { code: "conftest"; input: string }
  /** `-march=native` / `-mtune=native`: code for the local CPU. */
  | { code: "native-cpu"; option: string }
  /** `-x LANG` with a language distcc does not distribute. */
  | { code: "unsupported-language"; language: string }
  /** Profile generation or use (`-fprofile-*`, `--coverage`, ...). */
  | { code: "profiling"; option: string }
  /** `-Wa,` with a listing (`-a…`) or `--MD` (assembler writes a file). */
  | { code: "assembler-listing"; option: string }
  /** `-flto` (exactly). */
  | { code: "lto" }
  /** `-specs=FILE`. */
  | { code: "specs"; option: string }
  /** `-dr…` RTL dumps. */
  | { code: "rtl-dump"; option: string }
  /** `-frepo`. */
  | { code: "frepo" }
  /** The input name is too short to derive an output name from (`dcc_output_from_source`). */
  | { code: "bad-input-name"; input: string }
  /** An option that takes an argument is the last word (`-o`, `-MF`, ...). distcc reads past the end
   * of its argv here; we refuse to guess. */
  | { code: "missing-argument"; option: string }
  /** `@file` expansion did not end (a response file naming itself): the compiler reports it. */
  | { code: "response-file-loop"; file: string }
  /** Empty argv, or argv[0] is an option rather than a compiler. */
  | { code: "no-compiler"; argv0?: string };

export type LocalReasonCode = LocalReason["code"];

/** A one-line human explanation, with distcc's own wording where distcc has one. */
export function describeLocalReason(reason: LocalReason): string {
  switch (reason.code) {
    case "preprocess-only":
      return "-E call for cpp must be local";
    case "dependencies-only":
      return `${reason.option} implies -E (maybe) and must be local`;
    case "no-compile-flag":
      return "compiler apparently called not for compile";
    case "no-input":
      return "no visible input file";
    case "multiple-inputs":
      return "do we have two inputs?  i give up";
    case "multiple-outputs":
      return "called for link?  i give up";
    case "output-to-stdout":
      return "output to stdout?  running locally";
    case "conftest":
      return `autoconf tests are run locally: ${reason.input}`;
    case "native-cpu":
      return reason.option.startsWith("-mtune=")
        ? `${reason.option} optimizes for local machine; must be local`
        : `${reason.option} generates code for local machine; must be local`;
    case "unsupported-language":
      return `gcc's -x handling is complex; running locally for ${reason.language}`;
    case "profiling":
      return "compiler will emit/use profile info; must be local";
    case "assembler-listing":
      return `${reason.option} must be local`;
    case "lto":
      return "LTO cc invocations are not worth distributing";
    case "specs":
      return `${reason.option} must be local`;
    case "rtl-dump":
      return `gcc's debug option ${reason.option} may write extra files; running locally`;
    case "frepo":
      return "compiler will emit .rpo files; must be local";
    case "bad-input-name":
      return `source file ${reason.input} is bogus`;
    case "missing-argument":
      return `${reason.option} needs an argument but is the last word; running locally`;
    case "response-file-loop":
      return `@-expansion of ${reason.file} does not end (a response file names itself); running locally`;
    case "no-compiler":
      return reason.argv0 === undefined ? "no compiler given" : `unrecognized distcc option: ${reason.argv0}`;
  }
}
