import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { preprocessedExtension, stripLocalArgs, type DistributableScan } from "@x/distcc-toolchain";

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
 * Undefined when it cannot be done safely (an explicit `-x`, an input already preprocessed): the
 * caller then compiles the source as before.
 */
export function preparePreprocessedRun(dir: string, id: number, scan: DistributableScan, output: Buffer): PreprocessedRun | undefined {
  if (scan.preprocessed || scan.argv[scan.inputIndex] !== scan.input) return undefined;
  // `-x c` would make gcc preprocess the .i again (harmless, but no gain); `-x none` etc.: keep it simple.
  if (scan.argv.some((a) => a === "-x" || /^-x./.test(a))) return undefined;
  const file = join(dir, `cpp-${process.pid}-local-${id}${preprocessedExtension(scan.input)}`);
  try {
    writeFileSync(file, output, { mode: 0o600 });
  } catch {
    return undefined;
  }
  const argv = scan.argv.slice();
  argv[scan.inputIndex] = file;
  return { argv: stripLocalArgs(argv), remove: () => rmSync(file, { force: true }) };
}
