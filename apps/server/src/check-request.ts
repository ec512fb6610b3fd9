import type { RequestExtension } from "@x/distcc-protocol";
import { describeLocalReason, findForbiddenServerOption, scanArgs, type ScanResult } from "@x/distcc-toolchain";
import { EXIT_BAD_ARGUMENTS, EXIT_COMPILER_MISSING } from "./exit-codes.js";
import type { JobContext } from "./job-context.js";
import type { ArgvVerdict } from "./request-reader.js";
import { chooseJobCompiler } from "./resolve-compiler.js";

export const noResponseFiles = (): string => {
  // The server never reads files named by a client (`@file` never travels on the wire, spec 9.1).
  throw new Error("@file is not expanded on the server");
};

/** How the server scans a client's argv (no response files, no environment). */
export const scanClientArgs = (argv: readonly string[]): ScanResult => scanArgs(argv, { readFile: noResponseFiles, env: {} });

/**
 * The checks distccd runs on argv (spec 8.2 steps 5 and 7), in order, plus ours. `scan`: the
 * argv's scanClientArgs when the caller has it already.
 */
export function checkArgv(
  argv: string[],
  version: number,
  cwd: string | undefined,
  ctx: Pick<JobContext, "whitelist">,
  ext?: RequestExtension,
  scan: ScanResult = scanClientArgs(argv),
): ArgvVerdict {
  if (!scan.distributable) {
    return { kind: "drop", result: "OTHER", reason: `not distributable: ${describeLocalReason(scan.reason)}` };
  }
  const compiler = argv[0] ?? "";
  const decision = chooseJobCompiler(compiler, ext, ctx.whitelist);
  if (!decision.ok) {
    return {
      kind: "refuse",
      exitCode: EXIT_COMPILER_MISSING,
      // A compiler that is not here at all is what distccd reports as "failed to exec NAME" (with
      // the same exit 110; scripts and distcc's own test suite look for those words).
      reason: decision.notInstalled ? `failed to exec ${compiler}: ${decision.reason}` : `compiler not allowed: ${decision.reason}`,
      ...(decision.missing ? { missing: decision.missing } : {}),
    };
  }
  const fileArg = argv.slice(1).find((a) => a.startsWith("@"));
  if (fileArg) {
    return { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: `argument ${JSON.stringify(fileArg)} refused: the server does not read response files` };
  }
  const forbidden = findForbiddenServerOption(argv, version === 3 ? { protocol: 3, ...(cwd ? { cwd } : {}) } : { protocol: version === 2 ? 2 : 1 });
  if (forbidden) {
    return { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: `option ${JSON.stringify(forbidden.option)} refused: ${forbidden.why}` };
  }
  return { kind: "accept" };
}

