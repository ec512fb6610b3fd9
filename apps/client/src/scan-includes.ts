// `distcc-client --scan-includes COMPILER ARGS...`: what a pump-mode job of that compile would send,
// in distcc's format (`%-9s %s`: FILE, SYMLINK, DIRECTORY), from the same analysis the agent runs.
import { EXIT_BAD_ARGUMENTS, EXIT_DISTCC_FAILED } from "@x/distcc-protocol";
import { IncludeAnalyzer } from "@x/distcc-includes";
import { scanArgs } from "@x/distcc-toolchain";
import type { CommandResult } from "./commands.js";

export async function scanIncludes(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<CommandResult> {
  if (argv.length < 2)
    return {
      stdout: "",
      stderr: "distcc-client: usage: distcc-client --scan-includes COMPILER ARGS...\n",
      code: EXIT_BAD_ARGUMENTS,
    };
  // The words a compile job analyses: `@file` and `-Wp,` expanded as the agent does (the kernel's
  // `-Wp,-MMD,kernel/.x.o.d` is `-MMD -MF ...` there, and no reason to give up).
  const words = scanArgs(argv, { cwd, env }).argv;
  const result = await new IncludeAnalyzer().analyze({ argv: words, cwd, env });
  if (!result.ok) {
    // distcc exits EXIT_DISTCC_FAILED (100) when its include server gives no answer.
    return {
      stdout: "",
      stderr: `distcc-client: cannot scan the includes: ${result.reason} (such a job is preprocessed here: plain mode)\n`,
      code: EXIT_DISTCC_FAILED,
    };
  }
  const { files, links, climbed } = result.closure;
  const line = (kind: string, path: string) => `${kind.padEnd(9)} ${path}\n`;
  const out = [
    ...files.map((f) => line("FILE", f.real)),
    ...[...links].map(([at, target]) => line("SYMLINK", `${at} -> ${target}`)),
    ...[...climbed].map((dir) => line("DIRECTORY", dir)),
  ];
  return { stdout: out.join(""), stderr: "", code: 0 };
}
