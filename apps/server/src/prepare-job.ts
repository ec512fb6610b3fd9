import { DistccServerError } from "./errors.js";
import { mkdir } from "node:fs/promises";
import { basename, join } from "node:path";
import type { CompileRequest } from "@x/distcc-protocol";
import { preprocessedExtension, serverJobCommand, type ScanResult } from "@x/distcc-toolchain";
import { decideJobArgv, isGcc, scanClientArgs } from "./check-request.js";
import type { JobFolder } from "./job-folder.js";
import { DEFAULT_TREE_BOUNDS, PumpTree, type TreeBounds } from "./pump-tree.js";

/**
 * Protocol 3: the job root is in the object's debug info (comp_dir, file names). As distccd
 * (fix_debug_info.c) we overwrite it with as many slashes, so `/tmp/x/root/src` reads `//////////src`,
 * the client's path. Unlike distccd we patch the whole file, so gcc 11+'s .debug_line_str is fixed
 * too. The root is a fresh random folder name: it cannot occur by chance in code or data.
 */
export function unrootObject(object: Buffer, root: string): Buffer {
  const needle = Buffer.from(root);
  let at = object.indexOf(needle);
  if (at < 0) return object;
  const out = Buffer.from(object);
  while (at >= 0) {
    out.fill(0x2f, at, at + needle.length);
    at = out.indexOf(needle, at + needle.length);
  }
  return out;
}

export interface Prepared {
  executable: string;
  args: string[];
  cwd: string;
  output: string;
  deps?: { file: string; target: string; root: string };
}

/** gcc, g++, cc, c++, clang, clang++, with a target prefix and a version suffix. */
const PIPE_DRIVER = /(^|-)(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(-[0-9.]+)?$/;

/**
 * The flags the server adds in front of the client's: the whitelist's (identity resolution), then,
 * for GCC and Clang drivers (by name: other compilers a DISTCC_CMDLIST allows may not know it),
 * `-pipe` unless the client gave it or asked for temporary files (`-save-temps`, which gcc would
 * warn makes `-pipe` pointless). With `-pipe` gcc hands the assembler its input through a pipe
 * instead of writing, reading and deleting a temporary `.s` file: less work per job, and the object
 * is byte for byte the same (gcc and g++, -O0 to -O3, -g/-g3/-gdwarf-4, cross gcc; tested in
 * test/pipe.test.ts).
 */
export function serverFlags(
  executable: string,
  argv: readonly string[],
  flags: readonly string[],
  addPipe: boolean,
): string[] {
  const pipe =
    addPipe &&
    PIPE_DRIVER.test(basename(executable)) &&
    !argv.some((a, i) => i > 0 && (a === "-pipe" || a.startsWith("-save-temps") || a.startsWith("--save-temps")));
  return pipe ? [...flags, "-pipe"] : [...flags];
}

/** Puts the request's input in the job folder and rewrites the command for it (spec 8.2 step 6, 8.4). */
export async function prepareJob(
  request: CompileRequest,
  folder: JobFolder,
  executable: string,
  flags: readonly string[],
  addPipe = true,
  scan: ScanResult = scanClientArgs(request.argv),
  treeBounds: TreeBounds = DEFAULT_TREE_BOUNDS,
): Promise<Prepared> {
  if (!scan.distributable) throw new DistccServerError("DISTCC_SERVER_ERR_INTERNAL", "argv changed between checks"); // cannot happen: same argv
  // What runs is the policy's command (the words it allowed, its own -o), never the received argv.
  const decision = decideJobArgv(scan.argv, request.version, request.cwd, executable);
  if (!decision.ok) throw new DistccServerError("DISTCC_SERVER_ERR_INTERNAL", "argv changed between checks"); // cannot happen: checkArgv decided the same
  const output = join(folder.path, "output.o");
  const front = serverFlags(executable, request.argv, flags, addPipe);
  if (request.version !== 3) {
    const input = join(folder.path, `input${preprocessedExtension(scan.input)}`);
    await folder.writeFile(input, request.source ?? new Uint8Array(0), 0o644);
    const { argv } = serverJobCommand(decision, { input, output });
    // gcc prints the source line of a diagnostic by reading the file a linemarker names, so
    // `# 5 "/etc/passwd"` before an error would show the helper's line 5. A real client's markers
    // name its own files, which the helper does not have (no excerpt either way) or system headers.
    // Last, so that it wins over the client's -fdiagnostics-show-caret. (clang reads no such file.)
    const noExcerpt = isGcc(executable) ? ["-fno-diagnostics-show-caret"] : [];
    return { executable, args: [...front, ...argv.slice(1), ...noExcerpt], cwd: folder.path, output };
  }
  const root = join(folder.path, "root");
  await mkdir(root, { mode: 0o755 });
  const tree = new PumpTree(root, treeBounds);
  const cwd = await tree.makeCwd(request.cwd ?? "/");
  for (const entry of request.files ?? []) await tree.place(entry);
  const depsFile = join(folder.path, "output.deps");
  const rewritten = serverJobCommand(decision, { input: scan.input, output, root, depsFile });
  return {
    executable,
    args: [...front, ...rewritten.argv.slice(1)],
    cwd,
    output,
    deps: { file: depsFile, target: rewritten.dependencyTarget ?? scan.output, root },
  };
}
