// File-name rules of distcc 3.4 (`src/filename.c`): which names are sources, which are already
// preprocessed, and the extension the server gives its temporary input.

/** A gcc `-x` language name. The known ones are listed; `-x` accepts others (e.g. `cuda`). */
export type Language =
  | "c"
  | "c++"
  | "objective-c"
  | "objective-c++"
  | "c-cpp-output"
  | "c++-cpp-output"
  | "objective-c-cpp-output"
  | "objective-c++-cpp-output"
  | "c-header"
  | "c++-header"
  | "objective-c-header"
  | "objective-c++-header"
  | "assembler"
  | "assembler-with-cpp"
  | "go"
  | (string & {});

/** The extension of a path as distcc sees it: from the last `.` of the WHOLE string (not only the
 * basename), or undefined when there is no dot or nothing after it (`dcc_find_extension`). */
export function findExtension(path: string): string | undefined {
  const dot = path.lastIndexOf(".");
  if (dot < 0 || dot === path.length - 1) return undefined;
  return path.slice(dot);
}

/** The part after the last `/` (`dcc_find_basename`). */
export function baseName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? path : path.slice(slash + 1);
}

// Case-sensitive, as in distcc: `.C` and `.M` are sources, `.CC` is not. `.s`/`.S` are not sources
// in Debian's 3.4 build (ENABLE_REMOTE_ASSEMBLE is off), so assembler inputs stay local.
const SOURCE_EXTENSIONS: ReadonlySet<string> = new Set([
  ".i",
  ".ii",
  ".c",
  ".cc",
  ".cpp",
  ".cxx",
  ".cp",
  ".c++",
  ".C",
  ".m",
  ".mm",
  ".mi",
  ".mii",
  ".M",
]);

const PREPROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([".i", ".ii", ".mi", ".mii"]);

/** Whether distcc takes a (non-option) argument with this name as the compile's input. */
export function isSourceFile(name: string): boolean {
  const ext = findExtension(name);
  return ext !== undefined && SOURCE_EXTENSIONS.has(ext);
}

/** Whether the input is already preprocessed (`.i .ii .mi .mii`): then it is sent as is. */
export function isPreprocessedFile(name: string): boolean {
  const ext = findExtension(name);
  return ext !== undefined && PREPROCESSED_EXTENSIONS.has(ext);
}

/**
 * The extension of the preprocessed form of `input` (`dcc_preproc_exten`): the suffix of the local
 * cpp output on the client and of the temporary input file on the server (spec 8.2 step 6).
 */
export function preprocessedExtension(input: string): ".i" | ".ii" | ".mi" | ".mii" | ".s" | ".tmp" {
  const ext = findExtension(input);
  switch (ext) {
    case ".c":
    case ".i":
      return ".i";
    case ".cc":
    case ".cpp":
    case ".cxx":
    case ".cp":
    case ".c++":
    case ".C":
    case ".ii":
      return ".ii";
    case ".m":
    case ".mi":
      return ".mi";
    case ".mm":
    case ".M":
    case ".mii":
      return ".mii";
    case ".s":
    case ".S":
      return ".s";
    default:
      return ".tmp";
  }
}

/** The language gcc infers from a file name (used when no `-x` applies). */
export function languageOfFile(name: string): Language | undefined {
  switch (findExtension(name)) {
    case ".c":
      return "c";
    case ".i":
      return "c-cpp-output";
    case ".cc":
    case ".cpp":
    case ".cxx":
    case ".cp":
    case ".c++":
    case ".C":
      return "c++";
    case ".ii":
      return "c++-cpp-output";
    case ".m":
      return "objective-c";
    case ".mi":
      return "objective-c-cpp-output";
    case ".mm":
    case ".M":
      return "objective-c++";
    case ".mii":
      return "objective-c++-cpp-output";
    case ".s":
      return "assembler";
    case ".S":
      return "assembler-with-cpp";
    case ".h":
      return "c-header";
    case ".hh":
    case ".hpp":
    case ".hxx":
    case ".H":
      return "c++-header";
    default:
      return undefined;
  }
}
