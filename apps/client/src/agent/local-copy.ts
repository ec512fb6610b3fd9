import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { preprocessedExtension, type DistributableScan, type PreprocessMode } from "@x/distcc-toolchain";
import { preprocessedCompileArgv } from "./local-preprocessed.js";
import { isErrno } from "../errno.js";

/** What a straggler's copy compiled on this machine produced. */
export interface LocalCopyResult {
  /** The compiler's exit code (128 + signal when killed). */
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  /** The object (or assembler file), when the compiler succeeded. */
  output?: Buffer;
}

/** A compiler's stdout/stderr beyond this is cut: diagnostics, not data. */
const MAX_CAPTURE = 4 << 20;

export interface LocalCopyJob {
  /** The agent's private directory (the preprocessed source and the object go there). */
  dir: string;
  id: number;
  scan: DistributableScan;
  preprocessed: Buffer;
  /** How `preprocessed` was made. */
  mode: PreprocessMode;
  compilerPath: string;
  cwd: string;
  env: Record<string, string>;
  signal: AbortSignal;
}

/**
 * Compiles a straggler's copy on this machine: the agent runs the compiler itself (the launcher hands
 * its own compiles over with exec, which nobody could stop if a helper's answer came first), in its
 * own process group so cancelling it kills cc1 and as too. Nothing is written where make looks: the
 * caller moves the output into place if this copy wins. Undefined: cannot be done (see preprocessedCompileArgv).
 */
export async function compileLocalCopy(job: LocalCopyJob): Promise<LocalCopyResult | undefined> {
  const base = join(job.dir, `copy-${process.pid}-${job.id}`);
  const input = `${base}${preprocessedExtension(job.scan.input)}`;
  const output = `${base}.out`;
  const argv = preprocessedCompileArgv(job.scan, input, output, job.mode);
  if (!argv) return undefined;
  try {
    writeFileSync(input, job.preprocessed, { mode: 0o600 });
    const run = await runCompiler(job.compilerPath, argv, job.cwd, job.env, job.signal);
    if (run.code !== 0) return run;
    return { ...run, output: readFileSync(output) };
  } finally {
    rmSync(input, { force: true });
    rmSync(output, { force: true });
  }
}

function runCompiler(
  path: string,
  argv: string[],
  cwd: string,
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<LocalCopyResult> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const child = spawn(path, argv.slice(1), {
      argv0: argv[0],
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (d: Buffer) => {
      if (size >= MAX_CAPTURE) return;
      size += d.length;
      into.push(d);
    };
    child.stdout.on("data", keep(out));
    child.stderr.on("data", keep(err));
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch (err) {
        if (!isErrno(err, "ESRCH")) throw err; // else the group is gone already
      }
    };
    signal.addEventListener("abort", kill, { once: true });
    child.on("error", (e) => {
      signal.removeEventListener("abort", kill);
      reject(e);
    });
    child.on("close", (code, sig) => {
      signal.removeEventListener("abort", kill);
      if (signal.aborted) return reject(signal.reason);
      const status = code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0);
      resolve({ code: status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}
