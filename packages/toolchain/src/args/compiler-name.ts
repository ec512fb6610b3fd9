// distcc 3.3+ compiler-name rewriting (spec 9.2), as pure helpers: the caller supplies the triple
// (from `gcc -dumpmachine` or configuration) and checks that the qualified name exists.

const GCC_FAMILY = /^(?:gcc|g\+\+)(?:-.+)?$/;
const CLANG_FAMILY = /^clang(?:\+\+)?(?:-.+)?$/;

/** distcc turns `x86_64-pc-linux-gnu` into `x86_64-linux-gnu` before prefixing gcc names. */
function gnuTripleForPrefix(triple: string): string {
  return triple.replace("-pc-", "-");
}

/**
 * The fully qualified name distcc would send for `name` (`gcc` -> `x86_64-linux-gnu-gcc`,
 * `g++-12` -> `x86_64-linux-gnu-g++-12`). `cc`/`c++` are taken as `gcc`/`g++` (what they resolve to
 * on Debian; resolve the link first if unsure). Returns undefined for names distcc leaves alone:
 * paths, already-qualified names, clang (see `clangTargetArgs`), anything else.
 */
export function qualifiedCompilerName(name: string, triple: string): string | undefined {
  if (name.includes("/")) return undefined;
  const generic = name === "cc" ? "gcc" : name === "c++" ? "g++" : name;
  if (!GCC_FAMILY.test(generic)) return undefined;
  return `${gnuTripleForPrefix(triple)}-${generic}`;
}

/** Whether `name` is a clang driver name distcc adds `-target` to (`clang`, `clang++`, `clang-15`). */
function isClangName(name: string): boolean {
  return !name.includes("/") && CLANG_FAMILY.test(name);
}

/**
 * The words distcc appends to a clang command (`-target TRIPLE`, after everything else), or an
 * empty list when argv[0] is not a bare clang name or a target is already given (`-target`,
 * `--target=`).
 */
export function clangTargetArgs(argv: readonly string[], triple: string): string[] {
  const argv0 = argv[0];
  if (argv0 === undefined || !isClangName(argv0)) return [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-target" || a.startsWith("--target=")) return [];
  }
  return ["-target", triple];
}
