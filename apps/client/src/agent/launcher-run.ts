import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import { errorMessage, isErrno } from "../errno.js";
import { LAUNCHER_GONE, type JobConnection } from "./agent-server.js";
import type { JobContext } from "./job-context.js";

/** What a run in the launcher left: its status and both streams, read back from their files. */
interface LauncherRun {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  cpuMs?: number;
  wallMs: number;
}

/** The preprocessor ran, but what it wrote cannot be read: the job cannot be sent. */
export class PreprocessedOutputError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_CPP_OUTPUT", message, options);
  }
}

/**
 * Runs `argv` in the launcher (a small C process forks far cheaper than this agent can), its stdout
 * and stderr into private files of the scratch directory, and reads both back. Undefined when the
 * launcher went away (the job is cancelled).
 */
export async function runHereAndRead(
  ctx: JobContext,
  argv: string[],
  prefix: string,
  stdoutExtension: string,
  whose: string,
): Promise<LauncherRun | undefined> {
  const base = join(ctx.state.scratchDir, `${prefix}-${process.pid}-${ctx.state.nextTempId()}`);
  const outFile = `${base}${stdoutExtension}`;
  const errFile = `${base}.err`;
  try {
    const sentAt = performance.now();
    ctx.job.send({ type: "preprocess", run: { path: ctx.compilerPath, argv, setEnv: ctx.childEnv, outFile, errFile } });
    let reply: Awaited<ReturnType<JobConnection["nextReply"]>>;
    try {
      reply = await ctx.job.nextReply();
    } catch (err) {
      if (err === LAUNCHER_GONE) return undefined;
      throw err;
    }
    const wallMs = performance.now() - sentAt;
    // Both files are the launcher's to create: any error reading them (EMFILE, EACCES, a file the
    // launcher could not make) means nothing to send, never an empty source.
    const read = (f: string, what: string): Buffer => {
      try {
        return readFileSync(f);
      } catch (err) {
        throw new PreprocessedOutputError(`cannot read the ${whose} ${what} (${errorMessage(err)})`, { cause: err });
      }
    };
    return {
      code: reply.code,
      stdout: read(outFile, "output"),
      stderr: read(errFile, "messages"),
      wallMs,
      ...(reply.cpuMs !== undefined ? { cpuMs: reply.cpuMs } : {}),
    };
  } finally {
    // unlink, not rmSync: one system call each (rmSync stats first); a file that is not there costs an
    // exception, but after a run both are there.
    const remove = (): void => {
      for (const f of [outFile, errFile]) {
        try {
          unlinkSync(f);
        } catch (err) {
          // Never created (the launcher failed first), or already swept: fine; anything else is said.
          if (!isErrno(err, "ENOENT")) ctx.out.debug(`cannot remove ${f}: ${errorMessage(err)}`);
        }
      }
    };
    remove();
    // A killed launcher's process may still be dying and re-create its file: sweep again later.
    if (ctx.job.signal.aborted) setTimeout(remove, 2000).unref();
  }
}
