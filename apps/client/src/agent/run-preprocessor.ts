import { spawn } from "node:child_process";
import { constants } from "node:os";

const osSignals = constants.signals as Record<string, number>;

export interface PreprocessResult {
  /** Exit code (128 + signal when killed). */
  code: number;
  output: Buffer;
  stderr: Buffer;
}

/** Runs the local preprocessor (`gcc -E ...`), collecting its stdout; killed when `signal` aborts. */
export function runPreprocessor(
  path: string,
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; signal: AbortSignal },
): Promise<PreprocessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, argv.slice(1), {
      argv0: argv[0],
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const onAbort = (): void => {
      child.kill("SIGKILL");
    };
    opts.signal.addEventListener("abort", onAbort, { once: true });
    child.once("error", (e) => {
      opts.signal.removeEventListener("abort", onAbort);
      reject(e);
    });
    child.once("close", (code, sig) => {
      opts.signal.removeEventListener("abort", onAbort);
      const signo = sig ? (osSignals[sig] ?? 1) : 0;
      resolve({ code: sig ? 128 + signo : (code ?? 1), output: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}
