import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * bubblewrap refuses more than 9,000 arguments in all, its own and the command's ("Exceeded
 * maximum number of arguments 9000"; its `--args FD` counts against the same limit), so a
 * legitimate compile with a huge command line failed in the sandbox only. Past this many words the
 * compiler gets them from a response file instead (`@FILE`, read by gcc's and clang's drivers).
 */
export const BWRAP_ARG_ROOM = 8000;

/** One argument in the GNU response-file syntax (gcc's libiberty and clang's default tokenizer). */
function quote(arg: string): string {
  return arg === "" ? '""' : arg.replace(/[\s'"\\]/g, (c) => `\\${c}`);
}

/**
 * The compiler's arguments as they go under bwrap: as they are, or past BWRAP_ARG_ROOM words as
 * one `@FILE` written into the job folder (mode 0600, created new).
 */
export function argsWithinBwrapLimit(args: readonly string[], jobDir: string): readonly string[] {
  if (args.length <= BWRAP_ARG_ROOM) return args;
  // Only words both tokenizers read back the same: clang's drops an empty `""`, which shifted
  // every later word by one (`-D "" -D -fplugin=./p.so` became a plugin); line ends are where the
  // two may differ too. Such a command stays as it is, and bwrap refuses it: the client compiles
  // it locally.
  if (args.some((a) => a === "" || /[\r\n]/.test(a))) return args;
  const file = join(jobDir, "distcc-server-args.rsp");
  try {
    writeFileSync(file, `${args.map(quote).join("\n")}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    // A full job folder: bwrap then refuses the command line with its own message, and the
    // client compiles locally, as it would have without this file.
    if (err instanceof Error) return args;
    throw err;
  }
  return [`@${file}`];
}
