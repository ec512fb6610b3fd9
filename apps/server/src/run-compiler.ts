import { spawn } from "node:child_process";
import { constants } from "node:os";
import { EXIT_COMPILER_MISSING, EXIT_IO_ERROR, EXIT_TIMEOUT } from "./exit-codes.js";

export interface CompilerRun {
  /** Absolute path of the compiler (already whitelisted). */
  executable: string;
  /** Arguments after argv[0]. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
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

/**
 * Runs one compiler: no shell, stdin from /dev/null, its own process group (so a kill reaches cc1
 * and as too), stdout and stderr collected separately (sent as SOUT and SERR).
 */
export function runCompiler(run: CompilerRun): Promise<CompilerOutcome> {
  const maxOutput = run.maxOutput ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let killedFor: "timeout" | "client-gone" | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let exitGrace: NodeJS.Timeout | undefined;

    const child = spawn(run.executable, run.args as string[], {
      cwd: run.cwd,
      env: run.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // setsid(): a new process group we can kill as a whole
      shell: false,
      windowsHide: true,
    });

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
      clearTimeout(exitGrace);
      run.clientGone?.removeEventListener("abort", onClientGone);
      let stderr = Buffer.concat(err);
      if (outcome.note) stderr = Buffer.concat([stderr, Buffer.from(`distcc-server: ${outcome.note}\n`)]);
      resolve({ ...outcome, stdout: Buffer.concat(out), stderr });
    };

    child.stdout.on("data", (chunk: Buffer) => {
      if (outBytes < maxOutput) out.push(chunk.subarray(0, maxOutput - outBytes));
      outBytes += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (errBytes < maxOutput) err.push(chunk.subarray(0, maxOutput - errBytes));
      errBytes += chunk.length;
    });

    child.once("error", (error) => {
      // spawn failed (ENOENT, EACCES, ...): distccd's child would exit 110 here.
      finish({
        status: EXIT_COMPILER_MISSING << 8,
        end: "spawn-failed",
        note: `ERROR: failed to exec ${run.executable}: ${error.message}`,
      });
    });
    child.once("exit", () => {
      // A grandchild that escaped the group could hold the pipes open: do not wait for it forever.
      exitGrace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 2000);
    });
    child.once("close", (code, signal) => {
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
}
