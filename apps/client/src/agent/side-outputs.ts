/** Options whose whole word makes the compiler write a file besides the output. */
const EXACT = new Set([
  "-gsplit-dwarf", // x.dwo
  "-gsplit-dwarf=split", // clang's spelling of the same
  "-fstack-usage", // x.su
  "-save-temps", // x.i, x.s
  "--save-temps",
  "-aux-info", // the prototypes, into the next word
  "-fsave-optimization-record", // clang: x.opt.yaml
  "-ftime-trace", // clang: x.json
  "-fdiagnostics-format=sarif-file", // gcc 13: x.c.sarif
  "-fdiagnostics-format=json-file",
]);

/** Options whose prefix does (`-fdump-tree-all`, `-fopt-info-all=x.opt`, ...). */
const PREFIXES = [
  "-save-temps=",
  "-fcallgraph-info", // x.ci
  "-fdump-", // x.c.005t.original, ...
  "-fsave-optimization-record=",
  "-foptimization-record-file=",
  "-ftime-trace=",
  "-MJ", // clang: a compilation database entry (`-MJ file`, `-MJfile`)
];

/** `-fdump-passes` prints to stderr; `-fopt-info` writes a file only with `=FILE`. */
function writesAFile(word: string): boolean {
  if (word === "-fdump-passes") return false;
  if (word.startsWith("-fopt-info")) return word.includes("=");
  return EXACT.has(word) || PREFIXES.some((p) => word.startsWith(p));
}

/**
 * The first option of `argv` (argv[0] is the compiler) that makes the compiler write a file besides
 * its output (`-gsplit-dwarf`'s x.dwo, `-fstack-usage`'s x.su, dumps, `-save-temps`). A helper writes
 * those into its job folder and the protocol brings back only the output, so such a job is compiled
 * here, where the files land where make and the debugger look (distcc distributes it and loses them).
 */
export function sideOutputOption(argv: readonly string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word.startsWith("-") && writesAFile(word)) return word;
  }
  return undefined;
}
