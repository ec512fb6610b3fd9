// What distcc removes from a command line before it goes to the preprocessor or to a protocol 1/2
// server (`src/strip.c`).

// Options removed together with the next word when written as a separate word.
const STRIP_WITH_ARGUMENT: ReadonlySet<string> = new Set([
  "-D",
  "-I",
  "-U",
  "-L",
  "-l",
  "-MF",
  "-MT",
  "-MQ",
  "-include",
  "-imacros",
  "-iprefix",
  "-iwithprefix",
  "-isystem",
  "-iwithprefixbefore",
  "-idirafter",
]);

// Any word starting with one of these is removed alone.
const STRIP_PREFIXES: readonly string[] = [
  "-Wp,",
  "-Wl,",
  "-D",
  "-U",
  "-I",
  "-l",
  "-L",
  "-MF",
  "-MT",
  "-MQ",
  "-isystem",
  "-stdlib",
];

// Removed alone when equal.
const STRIP_EXACT: ReadonlySet<string> = new Set(["-undef", "-nostdinc", "-nostdinc++", "-MD", "-MMD", "-MG", "-MP"]);

/**
 * Remove the preprocessor- and linker-only options (`dcc_strip_local_args`): what a protocol 1/2
 * server receives, since it compiles already preprocessed source.
 */
export function stripLocalArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (STRIP_WITH_ARGUMENT.has(a)) {
      if (i + 1 < argv.length) i++;
    } else if (STRIP_EXACT.has(a) || STRIP_PREFIXES.some((p) => a.startsWith(p))) {
      // dropped
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Remove every `-o FILE` and `-oFILE` (`dcc_strip_dasho`). */
export function stripOutputArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o") i++;
    else if (!a.startsWith("-o")) out.push(a);
  }
  return out;
}

/** Replace every `-c` and `-S` by `action` (`dcc_set_action_opt`). */
export function setActionOption(argv: readonly string[], action: string): string[] {
  return argv.map((a) => (a === "-c" || a === "-S" ? action : a));
}
