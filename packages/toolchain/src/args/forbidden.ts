// Options a server must refuse: they make the compiler load or run code chosen by the client, read
// server files the client names, or write outside the job's folder. A deny-list, kept for the
// client-side property tests; the server decides with the allow-list of server-policy.ts instead,
// because a deny-list misses gcc's other spellings (`--plugin=` for `-fplugin=`, issue 14).
import { isSourceFile } from "./language.js";

export interface ForbiddenOption {
  /** The offending word as received (for `-Xclang X` and friends: `-Xclang X`). */
  option: string;
  /** Why it is refused (one line, for the server log and the client's verbose output). */
  why: string;
}

export interface ForbiddenCheckOptions {
  /** The request's protocol. 1/2 (default): options a real client always strips before sending
   * (`-Wp,`, `-include`, `-imacros`, `-MF`, `-MD`, `-MMD`) are refused too; 3 (pump) needs them. */
  protocol?: 1 | 2 | 3;
  /** Protocol 3: the client's working directory (CDIR). With it, relative paths that climb out of
   * the job's root with `..` are refused. */
  cwd?: string;
}

interface Rule {
  /** Exact word, or prefix when `prefix` is set. */
  match: string;
  prefix?: boolean;
  why: string;
  /** Only for protocols 1/2 (a real client strips these). */
  strippedByClient?: boolean;
}

const RUNS_PROGRAM = "makes the compiler driver run programs chosen by the client";
const WRITES = "writes a file at a client-chosen path";
const READS = "reads a server file chosen by the client";

const RULES: readonly Rule[] = [
  // Loading code, running programs.
  {
    match: "-fplugin",
    prefix: true,
    why: "-fplugin loads a shared object chosen by the client into the compiler (distccd refuses -fplugin= too)",
  },
  { match: "-iplugindir", prefix: true, why: "-iplugindir points plugin loading at a client-chosen directory" },
  { match: "-fpass-plugin=", prefix: true, why: "-fpass-plugin= loads a shared object chosen by the client (clang)" },
  {
    match: "-specs=",
    prefix: true,
    why: "-specs= can run arbitrary commands from a specs file (distccd refuses it too)",
  },
  { match: "--specs", prefix: true, why: "--specs can run arbitrary commands from a specs file" },
  { match: "-specs", why: "-specs can run arbitrary commands from a specs file" },
  { match: "-B", prefix: true, why: `-B ${RUNS_PROGRAM} (cc1, as and collect2 are looked up there)` },
  { match: "--prefix", prefix: true, why: `--prefix ${RUNS_PROGRAM} (same as -B)` },
  { match: "-wrapper", why: `-wrapper ${RUNS_PROGRAM} (every subcommand runs under it)` },
  {
    match: "-fmodule-mapper=",
    prefix: true,
    why: "-fmodule-mapper= can start a program (=|cmd) or connect to a socket",
  },
  { match: "-fuse-ld=", prefix: true, why: "-fuse-ld= names a linker program; never needed to compile" },
  // gcc would expand @file itself: reading a server file and bypassing every check here.
  {
    match: "@",
    prefix: true,
    why: "@file makes the compiler read options from a server file (a real client expands @file before sending)",
  },
  // Writing outside the job folder.
  {
    match: "-save-temps",
    prefix: true,
    why: "-save-temps writes intermediate files into the working directory or beside a client path",
  },
  { match: "--save-temps", prefix: true, why: "--save-temps writes intermediate files into the working directory" },
  { match: "-dumpdir", prefix: true, why: "-dumpdir writes auxiliary files into a client-chosen directory" },
  { match: "-dumpbase", prefix: true, why: "-dumpbase names auxiliary outputs, possibly in another directory" },
  { match: "-auxbase", prefix: true, why: "-auxbase names auxiliary outputs, possibly in another directory" },
  { match: "-aux-info", prefix: true, why: `-aux-info ${WRITES}` },
  { match: "-fprofile-note=", prefix: true, why: `-fprofile-note= ${WRITES}` },
  { match: "-fprofile-dir=", prefix: true, why: "-fprofile-dir= points profile files at a client-chosen directory" },
  { match: "-fdump-ada-spec", prefix: true, why: "-fdump-ada-spec writes .ads files into the working directory" },
  { match: "-foptimization-record-file=", prefix: true, why: `-foptimization-record-file= ${WRITES} (clang)` },
  { match: "-ftime-trace=", prefix: true, why: `-ftime-trace= ${WRITES} (clang)` },
  {
    match: "-fcrash-diagnostics-dir=",
    prefix: true,
    why: "-fcrash-diagnostics-dir= writes crash reports into a client-chosen directory (clang)",
  },
  { match: "-fdeps-file=", prefix: true, why: `-fdeps-file= ${WRITES}` },
  {
    match: "-fmodules-cache-path=",
    prefix: true,
    why: "-fmodules-cache-path= writes a module cache at a client-chosen path (clang)",
  },
  // Reading server files named by the client (their contents can come back in diagnostics).
  { match: "-fsanitize-blacklist=", prefix: true, why: `${READS} (clang)` },
  { match: "-fsanitize-ignorelist=", prefix: true, why: `${READS} (clang)` },
  { match: "-fsanitize-coverage-allowlist=", prefix: true, why: `${READS} (clang)` },
  { match: "-fsanitize-coverage-ignorelist=", prefix: true, why: `${READS} (clang)` },
  { match: "-fprofile-list=", prefix: true, why: `${READS} (clang)` },
  { match: "-fprofile-instr-use", prefix: true, why: `${READS} (profile data)` },
  { match: "-fprofile-sample-use", prefix: true, why: `${READS} (profile data)` },
  { match: "-fprofile-use", prefix: true, why: `${READS} (profile data; a real client keeps it local)` },
  { match: "-fauto-profile", prefix: true, why: `${READS} (profile data; a real client keeps it local)` },
  { match: "-fmodule-file=", prefix: true, why: `${READS} (a precompiled module)` },
  { match: "-fprebuilt-module-path=", prefix: true, why: `${READS} (precompiled modules)` },
  // Protocols 1/2 only: a real client strips these, and the server compiles preprocessed text.
  {
    match: "-Wp,",
    prefix: true,
    why: "-Wp, passes raw preprocessor options; a real client strips it in protocols 1/2",
    strippedByClient: true,
  },
  {
    match: "-include",
    prefix: true,
    why: "-include reads a server file; a real client strips it in protocols 1/2",
    strippedByClient: true,
  },
  {
    match: "-imacros",
    prefix: true,
    why: "-imacros reads a server file; a real client strips it in protocols 1/2",
    strippedByClient: true,
  },
  {
    match: "-MF",
    prefix: true,
    why: "-MF writes a file at a client-chosen path; a real client strips it in protocols 1/2",
    strippedByClient: true,
  },
  { match: "-MD", why: "-MD writes a .d file; a real client strips it in protocols 1/2", strippedByClient: true },
  { match: "-MMD", why: "-MMD writes a .d file; a real client strips it in protocols 1/2", strippedByClient: true },
];

// Options whose next word goes to another program unchecked: the payload is checked instead.
const PASS_THROUGH: Record<string, (payload: string) => string | undefined> = {
  "-Xclang": (p) =>
    /^-(load|plugin|add-plugin|plugin-arg-|fplugin|fpass-plugin|dependency-file|dependency-dot|header-include-file|stats-file|ftime-trace|o$|MF)/.test(
      p,
    ) || p.startsWith("@")
      ? "-Xclang passes a raw cc1 option that loads code or writes a file"
      : undefined,
  "-mllvm": (p) =>
    /(^-load)|file|-o$|^@/.test(p) ? "-mllvm passes a raw LLVM option that loads code or writes a file" : undefined,
  "-Xassembler": (p) => assemblerPartWhy(p),
  "-Xpreprocessor": (p) =>
    /^(-MD|-MMD|-MF|-include|-imacros|@)/.test(p)
      ? "-Xpreprocessor passes a raw preprocessor option that reads or writes a file"
      : undefined,
};

function assemblerPartWhy(part: string): string | undefined {
  if (part.startsWith("-a") || part.startsWith("--MD") || part === "-o" || part.startsWith("@")) {
    return `assembler option ${part} makes the assembler write or read a file at a client-chosen path`;
  }
  return undefined;
}

// Options whose argument is a path that protocol 3 resolves inside the job's root.
const PATH_OPTIONS: readonly string[] = [
  "-I",
  "-include",
  "-imacros",
  "-idirafter",
  "-iprefix",
  "-iwithprefixbefore",
  "-iwithprefix",
  "-isystem",
  "-iquote",
];

/** True when `path`, taken relative to `cwd`, climbs above `/` (so above the job's root). */
function climbsOutOfRoot(cwd: string, path: string): boolean {
  if (path.startsWith("/")) return climbs([], path);
  return climbs(
    cwd.split("/").filter((s) => s !== "" && s !== "."),
    path,
  );
}

function climbs(start: string[], path: string): boolean {
  let depth = start.length;
  for (const segment of path.split("/")) {
    if (segment === "..") {
      if (--depth < 0) return true;
    } else if (segment !== "" && segment !== ".") {
      depth++;
    }
  }
  return false;
}

// Rules bucketed by their second character, so a word is compared with a handful of rules, not all.
const RULES_BY_SECOND_CHAR = new Map<number, Rule[]>();
for (const rule of RULES) {
  const key = rule.match.charCodeAt(1); // NaN for "@": stored under NaN, looked up the same way
  const bucket = RULES_BY_SECOND_CHAR.get(key);
  if (bucket) bucket.push(rule);
  else RULES_BY_SECOND_CHAR.set(key, [rule]);
}

function rulesFor(a: string): readonly Rule[] {
  if (a.charCodeAt(0) === 64 /* @ */) return RULES_BY_SECOND_CHAR.get(Number.NaN) ?? [];
  return RULES_BY_SECOND_CHAR.get(a.charCodeAt(1)) ?? [];
}

function matches(rule: Rule, a: string): boolean {
  return rule.prefix === true ? a.startsWith(rule.match) : a === rule.match;
}

/**
 * The first argument a server must refuse to run, or undefined. distccd refuses only `-fplugin=`
 * and `-specs=`; we also refuse what lets a client load code, run programs, write outside the job
 * folder or read server files it names (docs/server-refusals.md). Everything a real distcc client
 * sends for a distributable compile without such options passes.
 */
export function findForbiddenServerOption(
  argv: readonly string[],
  opts: ForbiddenCheckOptions = {},
): ForbiddenOption | undefined {
  const stripped = (opts.protocol ?? 1) !== 3;
  const cwd = opts.protocol === 3 ? opts.cwd : undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const c0 = a.charCodeAt(0);
    if (c0 !== 45 /* - */ && c0 !== 64 /* @ */) {
      if (cwd !== undefined && isSourceFile(a) && climbsOutOfRoot(cwd, a)) {
        return { option: a, why: "the input path climbs out of the job's root with .." };
      }
      continue;
    }
    for (const rule of rulesFor(a)) {
      if ((rule.strippedByClient !== true || stripped) && matches(rule, a)) return { option: a, why: rule.why };
    }
    const passThrough = PASS_THROUGH[a];
    if (passThrough !== undefined) {
      const payload = argv[i + 1];
      const why = payload === undefined ? undefined : passThrough(payload);
      if (why !== undefined) return { option: `${a} ${payload}`, why };
      i++;
      continue;
    }
    if (a.startsWith("-Wa,")) {
      for (const part of a.slice(4).split(",")) {
        const why = assemblerPartWhy(part);
        if (why !== undefined) return { option: a, why };
      }
    }
    if ((a.startsWith("-fdump-") || a.startsWith("-fopt-info")) && a.includes("=")) {
      return { option: a, why: `${a.slice(0, a.indexOf("="))}=FILE ${WRITES}` };
    }
    if (cwd !== undefined) {
      const opt = PATH_OPTIONS.find((o) => a.startsWith(o));
      if (opt !== undefined) {
        const value = a === opt ? argv[i + 1] : a.slice(opt.length);
        if (value !== undefined && climbsOutOfRoot(cwd, value)) {
          return {
            option: a === opt ? `${a} ${value}` : a,
            why: `the path of ${opt} climbs out of the job's root with ..`,
          };
        }
      }
    }
  }
  return undefined;
}
