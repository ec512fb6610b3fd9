import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { constants } from "node:os";
import { EXIT_COMPILER_MISSING, EXIT_IO_ERROR, EXIT_TIMEOUT } from "./exit-codes.js";

export interface CompilerRun {
  /** Absolute path of the compiler (already whitelisted). */
  executable: string;
  /** Arguments after argv[0]. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Folder (the job's) where the compiler's stdout and stderr are collected. */
  outputDir: string;
  /** Kill the compile after this long (0 or undefined = no limit): STAT 118 << 8. */
  lifetimeMs?: number;
  /** Aborted when the client went away: the compile is killed, STAT 107 << 8. */
  clientGone?: AbortSignal;
  /** Bytes kept of stdout and of stderr each; the rest is dropped (default 16 MiB). */
  maxOutput?: number;
}

export type CompilerEnd = "exited" | "signaled" | "timeout" | "client-gone" | "spawn-failed";

export interface CompilerOutcome {
  /** Unix wait status as it goes into STAT (synthesised `code << 8` for our own failures). */
  status: number;
  end: CompilerEnd;
  stdout: Buffer;
  stderr: Buffer;
  /** Our own explanation (spawn error, timeout, client gone), already appended to stderr. */
  note?: string;
}

const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

/** Reads at most `max` bytes of a file (the compiler's stdout or stderr); missing = empty. */
async function readBounded(path: string, max: number): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = (await handle.stat()).size;
    const buf = Buffer.alloc(Math.min(size, max));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Runs one compiler: no shell, stdin from /dev/null, its own process group (so a kill reaches cc1
 * and as too), stdout and stderr into two files of the job folder (as distccd does; cheaper than
 * pipes, and nothing the compiler leaves running can hold the job open), sent as SOUT and SERR.
 */
export async function runCompiler(run: CompilerRun): Promise<CompilerOutcome> {
  const maxOutput = run.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const outPath = join(run.outputDir, "stdout");
  const errPath = join(run.outputDir, "stderr");
  const outFd = openSync(outPath, "w", 0o600);
  const errFd = openSync(errPath, "w", 0o600);
  const ended = await new Promise<Omit<CompilerOutcome, "stdout" | "stderr">>((resolve) => {
    let killedFor: "timeout" | "client-gone" | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    let child;
    try {
      child = spawn(run.executable, run.args as string[], {
        cwd: run.cwd,
        env: run.env,
        stdio: ["ignore", outFd, errFd],
        detached: true, // setsid(): a new process group we can kill as a whole
        shell: false,
        windowsHide: true,
      });
    } finally {
      closeSync(outFd);
      closeSync(errFd);
    }

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const onClientGone = (): void => {
      if (settled || killedFor) return;
      killedFor = "client-gone";
      killGroup();
    };
    const finish = (outcome: Omit<CompilerOutcome, "stdout" | "stderr">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.clientGone?.removeEventListener("abort", onClientGone);
      resolve(outcome);
    };

    child.once("error", (error) => {
      // spawn failed (ENOENT, EACCES, ...): distccd's child would exit 110 here.
      finish({ status: EXIT_COMPILER_MISSING << 8, end: "spawn-failed", note: `ERROR: failed to exec ${run.executable}: ${error.message}` });
    });
    child.once("exit", (code, signal) => {
      if (killedFor === "timeout") {
        finish({ status: EXIT_TIMEOUT << 8, end: "timeout", note: `ERROR: compilation exceeded --job-lifetime (${run.lifetimeMs} ms), killed` });
      } else if (killedFor === "client-gone") {
        finish({ status: EXIT_IO_ERROR << 8, end: "client-gone", note: "ERROR: Client fd disconnected, killing job" });
      } else if (signal) {
        finish({ status: constants.signals[signal] ?? 9, end: "signaled" });
      } else {
        finish({ status: ((code ?? 0) & 0xff) << 8, end: "exited" });
      }
    });

    if (run.lifetimeMs && run.lifetimeMs > 0) {
      timer = setTimeout(() => {
        killedFor = "timeout";
        killGroup();
      }, run.lifetimeMs);
    }
    if (run.clientGone) {
      if (run.clientGone.aborted) onClientGone();
      else run.clientGone.addEventListener("abort", onClientGone, { once: true });
    }
  });
  const [stdout, stderrRaw] = await Promise.all([readBounded(outPath, maxOutput), readBounded(errPath, maxOutput)]);
  const stderr = ended.note ? Buffer.concat([stderrRaw, Buffer.from(`distcc-server: ${ended.note}\n`)]) : stderrRaw;
  return { ...ended, stdout, stderr };
}
