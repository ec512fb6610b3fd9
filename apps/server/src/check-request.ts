import { DistccServerError } from "./errors.js";
import { realpathSync } from "node:fs";
import { basename } from "node:path";
import type { CompileRequest, RequestExtension } from "@x/distcc-protocol";
import {
  decideServerArgv,
  describeLocalReason,
  fileOpeningDirective,
  scanArgs,
  type ScanResult,
  type ServerArgvDecision,
} from "@x/distcc-toolchain";
import { EXIT_BAD_ARGUMENTS, EXIT_COMPILER_MISSING } from "@x/distcc-protocol";
import type { JobContext } from "./job-context.js";
import type { ArgvVerdict } from "./request-reader.js";
import { chooseJobCompiler } from "./resolve-compiler.js";
import { isErrno } from "./errno.js";
import { isPrecompiledHeaderName } from "./pump-tree.js";

const noResponseFiles = (): string => {
  // The server never reads files named by a client (`@file` never travels on the wire, spec 9.1).
  throw new DistccServerError("DISTCC_SERVER_ERR_INTERNAL", "@file is not expanded on the server");
};

/** How the server scans a client's argv (no response files, no environment). */
export const scanClientArgs = (argv: readonly string[]): ScanResult =>
  scanArgs(argv, { readFile: noResponseFiles, env: {} });

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
      reason: decision.notInstalled
        ? `failed to exec ${compiler}: ${decision.reason}`
        : `compiler not allowed: ${decision.reason}`,
      ...(decision.missing ? { missing: decision.missing } : {}),
    };
  }
  const fileArg = argv.slice(1).find((a) => a.startsWith("@"));
  if (fileArg) {
    return {
      kind: "refuse",
      exitCode: EXIT_BAD_ARGUMENTS,
      reason: `argument ${JSON.stringify(fileArg)} refused: the server does not read response files`,
    };
  }
  // The allow-list, on the driver's own reading of every word (docs/server-refusals.md).
  const policy = decideJobArgv(scan.argv, version, cwd, decision.executable);
  if (!policy.ok) {
    const { spelled, canonical, why } = policy.refusal;
    const word =
      spelled === ""
        ? ""
        : `option ${JSON.stringify(spelled)}${canonical !== spelled ? ` (read by gcc as ${JSON.stringify(canonical)})` : ""} `;
    return { kind: "refuse", exitCode: EXIT_BAD_ARGUMENTS, reason: `${word}refused: ${why}` };
  }
  return { kind: "accept" };
}

/** The server policy's decision for a received (scanned) argv, to be run by `executable`. */
export function decideJobArgv(
  scannedArgv: readonly string[],
  version: number,
  cwd: string | undefined,
  executable: string,
): ServerArgvDecision {
  const clang = isClang(executable);
  return decideServerArgv(
    scannedArgv,
    version === 3 ? { protocol: 3, clang, ...(cwd ? { cwd } : {}) } : { protocol: version === 2 ? 2 : 1, clang },
  );
}

/** clang by the name of the file it really is (`cc` may be either; what runs decides). */
function isClang(executable: string): boolean {
  try {
    return /(^|-)clang(\+\+)?(-[0-9.]+)?$/.test(basename(realpathSync(executable)));
  } catch (error) {
    if (isErrno(error, "ENOENT", "ENOTDIR", "EACCES", "ELOOP")) return false; // not known to be clang: its options refused
    throw error;
  }
}

/** gcc and g++ by name (with a target prefix and a version suffix); `cc` may well be clang. */
const GCC_DRIVER = /(^|-)(gcc|g\+\+)(-[0-9.]+)?$/;

/** Whether the compiler is gcc, by the name of the file it really is (`cc` -> `/usr/bin/x86_64-linux-gnu-gcc-12`). */
export function isGcc(executable: string): boolean {
  try {
    return GCC_DRIVER.test(basename(realpathSync(executable)));
  } catch (error) {
    if (isErrno(error, "ENOENT", "ENOTDIR", "EACCES", "ELOOP")) return false; // not known to be gcc: the full check
    throw error;
  }
}

/**
 * The checks on a request's body, once it is read (argv passed checkArgv). Protocols 1/2: the text
 * must hold no directive that makes the compile open a file (gcc with -fdirectives-only and clang
 * act on `#include` even in a .i; gcc also on two pragmas). Protocol 3: no precompiled header,
 * which gcc maps into cc1's memory as it is. Returns the refusal, or undefined.
 */
export function checkRequestBody(request: CompileRequest, executable: string): string | undefined {
  if (request.version !== 3) {
    const directives = request.argv.includes("-fdirectives-only") || !isGcc(executable);
    const found = fileOpeningDirective(request.source ?? new Uint8Array(0), { directives });
    return found === undefined
      ? undefined
      : `the preprocessed text holds ${found}, which would make the compiler open a server file (a real client resolves every such directive itself)`;
  }
  for (const entry of request.files ?? []) {
    // gcc's .gch and clang's .pch/.pcm (clang picks `x.h.pch` up by itself for `-include x.h`).
    if (isPrecompiledHeaderName(entry.name))
      return `${entry.name}: precompiled headers are not accepted (the compiler loads them into its memory as they are)`;
  }
  return undefined;
}
