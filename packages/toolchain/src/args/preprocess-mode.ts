// How the client preprocesses a distributed compile. distcc always runs the full preprocessor (`-E`).
// With gcc we can run it with `-fdirectives-only` instead: includes and conditionals are resolved on
// the client, macros are left (with their #define lines) for the compiler to expand, so the .i keeps
// its meaning. On a weak client the preprocessor is most of the CPU a distributed build costs, and
// this mode halves it (kernel/fork.c: 146 -> 69 ms; the compile side gains ~4 %), which is why icecc
// does the same. The compile then needs `-fdirectives-only` as well (gcc implies -fpreprocessed for
// a .i). The cost: gcc records the option in DWARF's DW_AT_producer string when -g is on
// (docs/client.md); the code, and even the column numbers distcc's full `-E` loses, are a local
// build's.
import { versionMajor } from "../compilers/identity.js";
import type { DistributableScan } from "./scan.js";

export type PreprocessMode = "full" | "directives-only";

const DIRECTIVES_ONLY_OPTION = "-fdirectives-only";

/** What the client knows of its compiler (from its probed identity). */
export interface PreprocessorCompiler {
  family: "gcc" | "clang";
  /** e.g. "12.2.0". */
  version: string;
}

// gcc 11 rewrote -fdirectives-only (the older one mishandled raw strings and was slower).
const MIN_GCC_MAJOR = 11;

// Languages whose preprocessed output is compiled by a C-family front end. Not assembler-with-cpp:
// `as` cannot read #define lines.
const LANGUAGES: ReadonlySet<string> = new Set(["c", "c++", "objective-c", "objective-c++"]);

// Options that change what the preprocessor writes, or that must see macros expanded: with any of
// them the command keeps distcc's full preprocessing. A user's own -f(no-)directives-only is theirs.
const BLOCKING_EXACT: ReadonlySet<string> = new Set([
  "-traditional",
  "-traditional-cpp",
  "-C",
  "-CC",
  "-P",
  "-dD",
  "-dM",
  "-dN",
  "-dI",
  "-dU",
  "-fdirectives-only",
  "-fno-directives-only",
  "-fpreprocessed",
  "-fpch-preprocess",
  "-fmodules-ts",
  "-fmodules",
  "-fdebug-cpp",
  "-Wunused-macros",
]);

/**
 * Why this command must be preprocessed fully, or undefined when directives-only preprocessing
 * keeps its meaning: gcc 11 or later, a C-family source (not a .i), no SOURCE_DATE_EPOCH (see
 * placeDependentWord), no `-x` (the server could preprocess the output again as source) and none of
 * the options above. `env` is the job's environment.
 */
export function directivesOnlyBlocker(
  scan: DistributableScan,
  compiler: PreprocessorCompiler | undefined,
  env: Record<string, string | undefined> = {},
): string | undefined {
  if (!compiler) return "the compiler could not be identified";
  if (compiler.family !== "gcc") return `${compiler.family} has no -fdirectives-only`;
  const major = versionMajor(compiler.version);
  if (!(major >= MIN_GCC_MAJOR)) return `gcc ${compiler.version} is older than ${MIN_GCC_MAJOR}`;
  if (scan.preprocessed) return "the input is already preprocessed";
  if (!LANGUAGES.has(scan.language)) return `${scan.language} is not a C-family language`;
  if (env.SOURCE_DATE_EPOCH !== undefined) return "SOURCE_DATE_EPOCH is set (__DATE__ must be this machine's)";
  for (const a of scan.argv) {
    if (BLOCKING_EXACT.has(a)) return `${a} is on the command line`;
    if (a.startsWith("-x")) return "-x is on the command line";
  }
  return undefined;
}

// Words whose value is decided where the file is compiled: with directives-only output the helper
// expands them. __BASE_FILE__ would be the helper's name for the .i, __TIMESTAMP__ its mtime.
// __DATE__ and __TIME__ become the helper's clock, as in distcc's pump mode: only a reproducible build
// (SOURCE_DATE_EPOCH, which the helper does not get) cares, and such a build keeps full preprocessing.
// Not caught, because it leaves no trace in the output: gcc 12's directives-only preprocessor runs a
// `#pragma push_macro`/`pop_macro` itself and writes only an `#undef` for the pop, so the compile
// loses the restored definition (docs/client.md says so; DISTCC_DIRECTIVES_ONLY=0 is the way out).
const PLACE_DEPENDENT_WORDS: readonly Buffer[] = ["__BASE_FILE__", "__TIMESTAMP__"].map((w) =>
  Buffer.from(w, "latin1"),
);

/**
 * The first word of directives-only output whose meaning would change on the helper (see above), or
 * undefined when the output can be sent as it is. Anywhere counts, even a comment (directives-only
 * output keeps them): a false alarm costs one more preprocessing, a miss a wrong object.
 * Buffer.indexOf searches natively, about 2 GB/s a word: 0.3 ms for a 300 KiB file, 4 ms for the
 * kernel's largest (4.7 MB) against the 77 ms this mode saves there.
 */
export function placeDependentWord(output: Uint8Array): string | undefined {
  const buf = Buffer.isBuffer(output) ? output : Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  for (const word of PLACE_DEPENDENT_WORDS) if (buf.indexOf(word) >= 0) return word.toString("latin1");
  return undefined;
}

/** A compile command for output preprocessed in `mode`: `-fdirectives-only` right after argv[0]. */
export function withPreprocessMode(argv: readonly string[], mode: PreprocessMode): string[] {
  if (mode === "full" || argv.length === 0) return argv.slice();
  return [argv[0]!, DIRECTIVES_ONLY_OPTION, ...argv.slice(1)];
}
