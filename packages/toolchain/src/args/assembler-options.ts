// The assembler options a server passes on (`-Wa,X`, `-Xassembler X`, `--for-assembler=X`). GNU as
// reads its options with getopt_long_only, so `-MD` is `--MD` and any unambiguous abbreviation
// (`--M=FILE`) is a long option too: only exact, known-harmless words pass. What real builds send:
// the Linux kernel `-Wa,--noexecstack`, `-Wa,-mrelax-relocations=no`, `-Wa,-mx86-used-note=no`,
// `-Wa,-gdwarf-2`/`--gdwarf-5`, `-Wa,-gsframe`, `-Wa,-march=…`, `-Wa,-mimplicit-it=always`,
// `-Wa,-mno-warn-deprecated`, `-Wa,-fatal-warnings`, `-Wa,-msoft-float`, `-Wa,--trap`; Debian's
// hardening none. Refused: listings (`-a…`), dependency files (`--MD`), `-o`, `-I`, `--defsym`,
// `@file`, `--itbl`, file operands, empty words, and everything not listed.

const EXACT: ReadonlySet<string> = new Set([
  "--noexecstack",
  "--execstack",
  "-g",
  "--gen-debug",
  "--gdwarf2",
  "--gdwarf-sections",
  "-gsframe",
  "--gsframe",
  "-fatal-warnings",
  "--fatal-warnings",
  "--warn",
  "--no-warn",
  "-W",
  "-w",
  "-Q",
  "-Qy",
  "-Qn",
  "--64",
  "--32",
  "--x32",
  "-64",
  "-32",
  "--trap",
  "--no-trap",
  "--break",
  "--nocompress-debug-sections",
  "--compress-debug-sections",
  "-KPIC",
  "-EB",
  "-EL",
  "-k",
  "-n",
  "-R",
  "-V",
  "--no-pad-sections",
  "--reduce-memory-overheads",
  "--strip-local-absolute",
  "-L",
  "--keep-locals",
]);

// `--gdwarf-5`, `-gdwarf-2`, `--gdwarf-cie-version=4`, `--compress-debug-sections=zlib`, `--size-check=warning`,
// `--elf-stt-common=no`, `--sectname-subst`, `--generate-missing-build-notes=yes`.
const PATTERNS: readonly RegExp[] = [
  /^--?gdwarf-?[0-9]$/,
  /^--gdwarf-cie-version=[0-9]$/,
  /^--compress-debug-sections=[a-z0-9-]+$/,
  /^--size-check=(error|warning)$/,
  /^--elf-stt-common=(yes|no)$/,
  /^--generate-missing-build-notes=(yes|no)$/,
  /^--sectname-subst$/,
  /^--multibyte-handling=[a-z-]+$/,
  // Target (md) options: `-mrelax-relocations=no`, `-mx86-used-note=no`, `-march=armv8.5-a+crc`,
  // `-mimplicit-it=always`, `-mno-warn-deprecated`, `-msoft-float`, `-mfix-cortex-a53-843419`. None
  // names a file; a value with `/` is refused all the same.
  /^-m[a-z0-9][a-z0-9_.+-]*(=[A-Za-z0-9_.+-]+)?$/,
];

/** Why the assembler word `part` is refused, or undefined when it is on the allow-list. */
export function assemblerPartRefusal(part: string): string | undefined {
  if (EXACT.has(part)) return undefined;
  for (const pattern of PATTERNS) if (pattern.test(part)) return undefined;
  if (part === "") return "an empty assembler word is read as a file name";
  if (!part.startsWith("-")) return `assembler word ${JSON.stringify(part)} is a file the assembler would read`;
  if (part.startsWith("@")) return `assembler word ${part} makes the assembler read options from a server file`;
  return `assembler option ${JSON.stringify(part)} is not on the server's list of harmless assembler options (it may write a listing, a dependency file or an output at a path the client chose)`;
}
