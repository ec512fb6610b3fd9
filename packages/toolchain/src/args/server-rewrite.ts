// The server's rewrite of a received command line before it runs the compiler (distccd's
// `dcc_set_input`, `dcc_set_output` and, for protocol 3, `tweak_arguments_for_server`).
import { DistccError } from "@x/distcc-errors";
import type { ToolchainErrorCode } from "../errors.js";
import { isSourceFile } from "./language.js";
import { scanExpandedArgs } from "./scan.js";

export interface ServerJobPaths {
  /** Protocols 1/2: the temporary preprocessed input (e.g. `/tmp/job/in.i`). Ignored for protocol 3. */
  input: string;
  /** The temporary object file (always `.o`, even with `-S`, like distccd). */
  output: string;
  /** Protocol 3: the temporary root the client's files were written under. Its presence selects
   * the protocol 3 rewrite. */
  root?: string;
  /** Protocol 3: the client's working directory (CDIR); the compile runs in `root + cwd`. */
  cwd?: string;
  /** Protocol 3: where the compiler must write the .d file (default: `output` with `.deps` appended). */
  depsFile?: string;
}

export interface ServerCommand {
  argv: string[];
  /** Protocol 3: the target given by the first `-MT` pair, removed from argv; it replaces the
   * temporary object name in the returned .d file. */
  dependencyTarget?: string;
  /** Protocol 3: the .d file the compiler writes. */
  depsFile?: string;
}

// Options whose path argument is re-rooted in protocol 3, in distccd's order. It is a prefix test,
// so "-iwithprefix" also catches "-iwithprefixbefore/abs" (value "before/abs", left alone): a
// distccd quirk we keep.
const INCLUDE_OPTIONS: readonly string[] = [
  "-I",
  "-include",
  "-imacros",
  "-idirafter",
  "-iprefix",
  "-iwithprefix",
  "-iwithprefixbefore",
  "-isystem",
  "-iquote",
];

/** Replace the output of the first `-o X` or `-oX` by `output` (`dcc_set_output`). */
function replaceOutput(argv: string[], output: string): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-o" && i + 1 < argv.length) {
      argv[i + 1] = output;
      return true;
    }
    if (a.startsWith("-o")) {
      argv[i] = `-o${output}`;
      return true;
    }
  }
  return false;
}

/**
 * The command the server runs, with what it needs afterwards. `received` should be the scanned
 * argv (`scan.argv` of `scanExpandedArgs(received)`, which has `-o` appended when it was missing,
 * as distccd does); if no `-o` is found anyway, `-o OUTPUT` is appended. Throws
 * `ServerRewriteError` where distccd abandons the job (no input to replace; `-MT` as last word).
 */
export function rewriteServerJob(received: readonly string[], job: ServerJobPaths): ServerCommand {
  const argv = received.slice();
  // The input is the word the scan took as input. distccd takes the first word with a source
  // extension instead, options included, so `-fx=a.c … hello.c` or `-ofoo.c` break its compile;
  // ours compiles what the client meant. For commands without such words both are the same word.
  const scan = scanExpandedArgs(argv);
  const inputIndex = scan.distributable ? scan.inputIndex : argv.findIndex((a) => isSourceFile(a));
  if (!replaceOutput(argv, job.output)) argv.push("-o", job.output);
  if (job.root === undefined) {
    if (inputIndex < 0) throw new ServerRewriteError("DISTCC_ERR_NO_INPUT", "no input file to replace");
    argv[inputIndex] = job.input;
    return { argv };
  }

  const root = job.root.replace(/\/+$/, "");
  const result: ServerCommand = { argv };
  // dcc_convert_mt_to_dotd_target: the first -MT pair becomes the .d target.
  const mt = argv.indexOf("-MT");
  if (mt >= 0) {
    if (mt + 1 >= argv.length) throw new ServerRewriteError("DISTCC_ERR_BAD_MT", "-MT is the last word");
    result.dependencyTarget = argv[mt + 1]!;
    argv.splice(mt, 2);
  }
  if (!argv.includes("-MD") && !argv.includes("-MMD")) argv.push("-MMD");
  const depsFile = job.depsFile ?? `${job.output}.deps`;
  argv.push("-MF", depsFile);
  result.depsFile = depsFile;

  // tweak_include_arguments_for_server
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const opt = INCLUDE_OPTIONS.find((o) => a.startsWith(o));
    if (opt === undefined) continue;
    if (a === opt) {
      i++;
      const value = argv[i];
      if (value?.startsWith("/")) argv[i] = root + value;
    } else if (a.charCodeAt(opt.length) === 47 /* / */) {
      argv[i] = opt + root + a.slice(opt.length);
    }
  }
  // tweak_input_argument_for_server: an absolute input moves under the root (distccd takes the
  // first absolute source-named word; for a distributable command that is the input).
  if (inputIndex >= 0) {
    const input = received[inputIndex]!;
    const at = indexAfterMtRemoval(inputIndex, mt);
    if (input.charCodeAt(0) === 47 && argv[at] === input) argv[at] = `${root}/${input.replace(/^\/+/, "")}`;
  }
  return result;
}

/**
 * The argv the server runs (spec 8.2 step 6 and 8.4). Protocols 1/2 (`job.root` absent): the
 * input word becomes `job.input`, the output becomes `job.output`. Protocol 3: the output is
 * replaced, the first `-MT X` pair removed (see `rewriteServerJob` to get X), absolute include
 * paths and an absolute input re-rooted under `job.root`, `-MMD` added when no `-MD`/`-MMD`, and
 * `-MF depsFile` appended.
 */
export function rewriteServerCommand(received: readonly string[], job: ServerJobPaths): string[] {
  return rewriteServerJob(received, job).argv;
}

export class ServerRewriteError extends DistccError<
  Extract<ToolchainErrorCode, "DISTCC_ERR_NO_INPUT" | "DISTCC_ERR_BAD_MT">
> {}

/** Where word `index` of the received argv is once the first `-MT X` pair (at `mt`) is removed. */
function indexAfterMtRemoval(index: number, mt: number): number {
  return mt >= 0 && index > mt ? index - 2 : index;
}
