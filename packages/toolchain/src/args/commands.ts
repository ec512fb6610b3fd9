// The two commands derived from a distributable scan on the client: the local preprocessor run and
// the argv sent to the server (spec 9.4).
import type { DistributableScan } from "./scan.js";
import { setActionOption, stripLocalArgs, stripOutputArgs } from "./strip.js";
import { withPreprocessMode, type PreprocessMode } from "./preprocess-mode.js";

/**
 * The local preprocessor command (`dcc_cpp_maker`): the scanned argv with `-o` removed and `-c`/`-S`
 * turned into `-E`; its output goes to stdout (redirect it to a temporary file named with
 * `preprocessedExtension(scan.input)`). `scan.dependencies.cppArgs` are appended, so that the .d
 * file lands where a local gcc would put it (distcc's -MD bug fixed). Not needed when
 * `scan.preprocessed` (the input is sent as is). `mode` "directives-only" adds `-fdirectives-only`
 * (check `directivesOnlyBlocker` first; the compile then needs `withPreprocessMode` too).
 */
export function preprocessorArgv(scan: DistributableScan, mode: PreprocessMode = "full"): string[] {
  const argv = withPreprocessMode(setActionOption(stripOutputArgs(scan.argv), "-E"), mode);
  if (scan.dependencies.cppArgs.length > 0) argv.push(...scan.dependencies.cppArgs);
  return argv;
}

/**
 * The argv sent on the wire. Protocols 1 and 2: the command minus preprocessor and linker options
 * (`dcc_strip_local_args`). Protocol 3 (pump): the whole command, plus `-MT TARGET` when a .d file
 * is wanted and no `-MT`/`-MQ` word is there (the server removes that pair and writes TARGET in the
 * .d file it returns).
 */
export function serverArgv(
  scan: DistributableScan,
  protocol: 1 | 2 | 3,
  env: Record<string, string | undefined> = {},
): string[] {
  if (protocol !== 3) return stripLocalArgs(scan.argv);
  const argv = scan.argv.slice();
  const info = pumpDependencyInfo(scan.argv, env);
  if (info.needsDotd && !info.setsTarget) {
    // distcc sends the -o name (or DEPENDENCIES_OUTPUT's target); we send the target a local gcc
    // would write, which is the same string unless -S had no -o or the name needs make quoting.
    argv.push("-MT", scan.dependencies.target ?? info.envTarget ?? scan.output);
  }
  return argv;
}

/** distcc's `dcc_get_dotd_info` decision for pump mode: any `-M…` word (a joined `-MTx` included)
 * or `DEPENDENCIES_OUTPUT` asks for a .d; only separate `-MT`/`-MQ` words set its target. */
function pumpDependencyInfo(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): { needsDotd: boolean; setsTarget: boolean; envTarget?: string } {
  const spec = env.DEPENDENCIES_OUTPUT;
  let needsDotd = spec !== undefined;
  let setsTarget = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-MT" || a === "-MQ") {
      setsTarget = true;
      i++;
      continue;
    }
    if (a.startsWith("-M")) needsDotd = true;
    if (a === "-MF") i++;
  }
  const result: { needsDotd: boolean; setsTarget: boolean; envTarget?: string } = { needsDotd, setsTarget };
  if (spec !== undefined) {
    const space = spec.indexOf(" ");
    if (space >= 0) result.envTarget = spec.slice(space + 1);
  }
  return result;
}
