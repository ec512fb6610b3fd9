// Options a server must refuse: they make the compiler load or run code chosen by the client, read
// files outside the job, or write outside the job's folder. See docs/server-refusals.md for the
// reasoning behind each entry.

export interface ForbiddenOption {
  /** The offending word as received. */
  option: string;
  /** Why it is refused (one line, for the log and the client's verbose output). */
  why: string;
}

export interface ForbiddenCheckOptions {
  /** The request's protocol. 1/2 (default): options a real client always strips before sending
   * (preprocessor file options, `-Wp,`) are refused too; 3 (pump) needs them. */
  protocol?: 1 | 2 | 3;
}

interface Rule {
  /** Exact word, or prefix when `prefix` is set. */
  match: string;
  prefix?: boolean;
  why: string;
  /** Only for protocols 1/2 (a real client strips these). */
  strippedByClient?: boolean;
}

const LOADS_CODE = "loads code chosen by the client into the compiler";
const RUNS_PROGRAM = "makes the compiler driver run programs chosen by the client";

const RULES: readonly Rule[] = [
  // Code loading / program execution.
  { match: "-fplugin", prefix: true, why: `-fplugin ${LOADS_CODE} (distccd refuses -fplugin= too)` },
  { match: "-iplugindir", prefix: true, why: "-iplugindir points plugin loading at a client-chosen directory" },
  { match: "-fpass-plugin=", prefix: true, why: `-fpass-plugin= ${LOADS_CODE} (clang)` },
  { match: "-specs=", prefix: true, why: "-specs= can run arbitrary commands from a specs file (distccd refuses it too)" },
  { match: "--specs", prefix: true, why: "--specs can run arbitrary commands from a specs file" },
  { match: "-specs", why: "-specs can run arbitrary commands from a specs file" },
  { match: "-B", prefix: true, why: `-B ${RUNS_PROGRAM} (cc1, as, collect2 are searched there)` },
  { match: "--prefix", prefix: true, why: `--prefix ${RUNS_PROGRAM} (same as -B)` },
  { match: "-wrapper", why: `-wrapper ${RUNS_PROGRAM} (every subcommand is run under it)` },
  { match: "-fmodule-mapper=", prefix: true, why: "-fmodule-mapper= can start a program (|cmd) or talk to sockets" },
  { match: "-fuse-ld=", prefix: true, why: "-fuse-ld= selects a linker program by path (never needed to compile)" },
  { match: "-Xclang", why: "-Xclang passes raw cc1 options (-load, -plugin) past every other check" },
  { match: "-mllvm", why: "-mllvm passes raw LLVM options, some of which write files" },
  // Response files: gcc would expand them itself, reading a server file and bypassing this check.
  { match: "@", prefix: true, why: "@file makes the compiler read options from a server file (a real client expands @file before sending)" },
  // Writing outside the job folder.
  { match: "-save-temps", prefix: true, why: "-save-temps writes intermediate files into the server's working directory" },
  { match: "--save-temps", prefix: true, why: "--save-temps writes intermediate files into the server's working directory" },
  { match: "-dumpdir", prefix: true, why: "-dumpdir writes auxiliary files into a client-chosen directory" },
  { match: "-dumpbase", prefix: true, why: "-dumpbase names auxiliary outputs, possibly in another directory" },
  { match: "-auxbase", prefix: true, why: "-auxbase names auxiliary outputs, possibly in another directory" },
  { match: "-aux-info", prefix: true, why: "-aux-info writes a file at a client-chosen path" },
  { match: "-fprofile-note=", prefix: true, why: "-fprofile-note= writes the .gcno file at a client-chosen path" },
  { match: "-fprofile-dir=", prefix: true, why: "-fprofile-dir= points profile files at a client-chosen directory" },
  { match: "-fdump-ada-spec", prefix: true, why: "-fdump-ada-spec writes .ads files into the working directory" },
  { match: "-fdump-go-spec=", prefix: true, why: "-fdump-go-spec= writes a file at a client-chosen path" },
  { match: "-foptimization-record-file=", prefix: true, why: "-foptimization-record-file= writes a file at a client-chosen path (clang)" },
  { match: "-fdeps-file=", prefix: true, why: "-fdeps-file= writes a file at a client-chosen path" },
  { match: "-fmodules-cache-path=", prefix: true, why: "-fmodules-cache-path= writes a module cache at a client-chosen path (clang)" },
  { match: "-Xassembler", why: "-Xassembler passes raw assembler options (listings, dependency files) unchecked" },
  { match: "-Xpreprocessor", why: "-Xpreprocessor passes raw preprocessor options (dependency files) unchecked" },
  // Reading server files and echoing them in diagnostics.
  { match: "-fsanitize-blacklist=", prefix: true, why: "reads a server file named by the client (clang)" },
  { match: "-fsanitize-ignorelist=", prefix: true, why: "reads a server file named by the client (clang)" },
  { match: "-fprofile-list=", prefix: true, why: "reads a server file named by the client (clang)" },
  { match: "-fsanitize-coverage-allowlist=", prefix: true, why: "reads a server file named by the client (clang)" },
  { match: "-fsanitize-coverage-ignorelist=", prefix: true, why: "reads a server file named by the client (clang)" },
  { match: "-fprofile-use", prefix: true, why: "reads profile data from a client-chosen server path" },
  { match: "-fauto-profile", prefix: true, why: "reads profile data from a client-chosen server path" },
  // Protocols 1/2 only: a real client strips these, and the server compiles preprocessed text.
  { match: "-Wp,", prefix: true, why: "-Wp, passes raw preprocessor options; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-include", prefix: true, why: "-include reads a server file; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-imacros", prefix: true, why: "-imacros reads a server file; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-MF", prefix: true, why: "-MF writes a file at a client-chosen path; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-MD", why: "-MD writes a .d file; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-MMD", why: "-MMD writes a .d file; a real client strips it in protocols 1/2", strippedByClient: true },
];

function matches(rule: Rule, a: string): boolean {
  return rule.prefix === true ? a.startsWith(rule.match) : a === rule.match;
}

/** Assembler options that write files: listings (`-a…`), dependency files (`--MD`), another output
 * (`-o`), or read options from a file (`@`). */
function forbiddenAssemblerOption(a: string): string | undefined {
  if (!a.startsWith("-Wa,")) return undefined;
  for (const part of a.slice(4).split(",")) {
    if (part.startsWith("-a") || part.startsWith("--MD") || part === "-o" || part.startsWith("@")) {
      return `-Wa,${part} makes the assembler write or read a file at a client-chosen path`;
    }
  }
  return undefined;
}

/** `-fdump-…=FILE` and `-fopt-info…=FILE` write to a client-chosen path (the plain forms write
 * beside the temporary output, which is fine). */
function forbiddenDumpOption(a: string): string | undefined {
  if ((a.startsWith("-fdump-") || a.startsWith("-fopt-info")) && a.includes("=")) {
    return `${a.slice(0, a.indexOf("="))}=FILE writes a file at a client-chosen path`;
  }
  return undefined;
}

/**
 * The first argument a server must refuse to run, or undefined. distccd refuses only `-fplugin=`
 * and `-specs=`; we refuse everything that lets a client load code, run programs, write outside
 * the job folder, or read server files (list and reasons: docs/server-refusals.md). Every option a
 * real distcc client sends for a distributable compile passes.
 */
export function findForbiddenServerOption(
  argv: readonly string[],
  opts: ForbiddenCheckOptions = {},
): ForbiddenOption | undefined {
  const stripped = (opts.protocol ?? 1) !== 3;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const c0 = a.charCodeAt(0);
    if (c0 !== 45 /* - */ && c0 !== 64 /* @ */) continue;
    for (const rule of RULES) {
      if ((rule.strippedByClient !== true || stripped) && matches(rule, a)) return { option: a, why: rule.why };
    }
    const why = forbiddenAssemblerOption(a) ?? forbiddenDumpOption(a);
    if (why !== undefined) return { option: a, why };
  }
  return undefined;
}
