import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";
import { isErrno } from "../errno.js";

export interface ToolOutput {
  stdout: string;
  stderr: string;
  /** Exit status, or null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export interface RunToolOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Cap per stream; a probe answer is a few KB, anything beyond is noise or hostile. */
  maxOutputBytes?: number;
}

/**
 * Run a program without a shell, stdin from /dev/null, in its own process group so a timeout kills
 * whatever it started too. Never rejects for the program's own failure: the caller judges the output.
 */
export function runTool(file: string, args: readonly string[], opts: RunToolOptions): Promise<ToolOutput> {
  const max = opts.maxOutputBytes ?? 1 << 20;
  return new Promise((resolve, reject) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(file, args, { env: opts.env, stdio: ["ignore", "pipe", "pipe"], shell: false, detached: true });
    } catch (err) {
      reject(err);
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let settled = false;
    child.stdout.on("data", (b: Buffer) => {
      if (outLen < max) out.push(b.subarray(0, max - outLen));
      outLen += b.length;
    });
    child.stderr.on("data", (b: Buffer) => {
      if (errLen < max) err.push(b.subarray(0, max - errLen));
      errLen += b.length;
    });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch (error) {
        // No process group (it was not made a group leader yet, or is gone): the child alone.
        if (!isErrno(error, "ESRCH", "EPERM")) throw error;
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(e);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        exitCode,
        signal,
        timedOut,
      });
    });
  });
}
