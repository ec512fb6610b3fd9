import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  preprocessedExtension,
  stripLocalArgs,
  withPreprocessMode,
  type DistributableScan,
  type PreprocessMode,
} from "@x/distcc-toolchain";
import { isErrno } from "../errno.js";

/** A local compile of the already preprocessed source: the command, and the temp file to remove after. */
export interface PreprocessedRun {
  argv: string[];
  remove(): void;
}

/**
 * When the scheduler puts a job on this machine after its local preprocessing, compile that output
 * instead of the source: on a weak client a second preprocessing costs as much as a fifth of the
 * compile. The command is the one a protocol 1/2 server runs (preprocessor-only options dropped; the
 * dependency file was written by the preprocessing), on a private `cpp-*.i` file of the agent.
 * Undefined when it cannot be done safely (see preprocessedCompileArgv): the caller then compiles the
 * source as before.
 */
export function preparePreprocessedRun(
  dir: string,
  id: number,
  scan: DistributableScan,
  output: Buffer,
  mode: PreprocessMode,
): PreprocessedRun | undefined {
  const file = join(dir, `cpp-${process.pid}-local-${id}${preprocessedExtension(scan.input)}`);
  const argv = preprocessedCompileArgv(scan, file, undefined, mode);
  if (!argv) return undefined;
  try {
    writeFileSync(file, output, { mode: 0o600 });
  } catch (err) {
    // A full or read-only scratch directory, no descriptor left: the source is compiled instead,
    // which needs no file of ours. Anything else is a bug to see.
    if (isErrno(err, "ENOSPC", "EDQUOT", "EROFS", "EMFILE", "ENFILE", "EACCES", "ENOENT")) return undefined;
    throw err;
  }
  return { argv, remove: () => rmSync(file, { force: true }) };
}

/**
 * The command a protocol 1/2 server runs (preprocessor-only options dropped), on the preprocessed
 * source `file` instead of the job's input, and into `output` when given. Undefined when that cannot
 * be done safely: an input already preprocessed, an explicit `-x` (`-x c` would make gcc preprocess
 * the .i again; `-x none` etc.: keep it simple), or, with `output`, an output named without `-o` (a
 * bare `x.o` word: distcc's reading, not gcc's). `mode`: how `file` was preprocessed.
 */
export function preprocessedCompileArgv(
  scan: DistributableScan,
  file: string,
  output?: string,
  mode: PreprocessMode = "full",
): string[] | undefined {
  if (scan.preprocessed || scan.argv[scan.inputIndex] !== scan.input) return undefined;
  if (scan.argv.some((a) => a === "-x" || /^-x./.test(a))) return undefined;
  const argv = scan.argv.slice();
  argv[scan.inputIndex] = file;
  if (output !== undefined) {
    const word = argv[scan.outputIndex]!;
    if (word.startsWith("-o") && word !== "-o") argv[scan.outputIndex] = `-o${output}`;
    else if (argv[scan.outputIndex - 1] === "-o") argv[scan.outputIndex] = output;
    else return undefined;
  }
  return withPreprocessMode(stripLocalArgs(argv), mode);
}
