import { closeSync, readSync } from "node:fs";
import { join } from "node:path";
import { constants } from "node:os";
import { isErrno } from "./errno.js";
import { openJobFileSync } from "./job-file.js";
import { EXIT_COMPILER_MISSING, EXIT_IO_ERROR, EXIT_TIMEOUT } from "@x/distcc-protocol";
import type { StopSignal } from "./job-stop.js";
import { inlineLauncher, type Launcher, type ProcessLimits } from "./launcher.js";
import type { BwrapSandbox } from "./sandbox.js";
import type { JobCgroup, JobCgroups } from "./job-cgroup.js";
import { argsWithinBwrapLimit } from "./response-file.js";

export interface CompilerRun {
  /** Absolute path of the compiler (already whitelisted). */
  executable: string;
  /** Arguments after argv[0]. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Folder (the job's) where the compiler's stdout and stderr are collected. */
  outputDir: string;
  /** How to start it (default: from this process). */
  launcher?: Launcher;
  /** Kill the compile after this long (0 or undefined = no limit): STAT 118 << 8. */
  lifetimeMs?: number;
  /** The --job-lifetime the message names, when `lifetimeMs` is what is left of it. */
  jobLifetimeMs?: number;
  /** Aborted when the client went away: the compile is killed, STAT 107 << 8. */
  clientGone?: StopSignal;
  /** Bytes kept of stdout and of stderr each; the rest is dropped (default 16 MiB). */
  maxOutput?: number;
  /** Run inside this sandbox, with `outputDir` (the job folder) its only writable place. */
  sandbox?: BwrapSandbox;
  /** setrlimit on the compiler (address space, CPU time). */
  limits?: ProcessLimits;
  /** Bound the whole job (every process it starts) in a cgroup of its own made here. */
  cgroups?: JobCgroups;
}

type CompilerEnd = "exited" | "signaled" | "timeout" | "client-gone" | "spawn-failed";

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
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([k, v]) => [v, k as NodeJS.Signals]),
);

function limitNote(signal: NodeJS.Signals, limits: ProcessLimits | undefined): string {
  const cpu = limits?.cpuSeconds ? ` (--max-compiler-cpu is ${limits.cpuSeconds} s per process)` : "";
  return signal === "SIGXCPU"
    ? `ERROR: the compiler used up its CPU time${cpu}, killed`
    : `ERROR: the compiler was killed by SIGKILL${cpu}`;
}

/**
 * Reads at most `max` bytes of a file (the compiler's stdout or stderr); missing = empty. Sync:
 * usually both are empty (one stat each), and small reads of a local file take microseconds, less
 * than the thread-pool round trips and promises of open/stat/read/close.
 */
function readBounded(path: string, max: number): Buffer {
  let fd: number;
  let size: number;
  try {
    // Not through a link, not a FIFO: the sandboxed compiler may have replaced the file.
    ({ fd, size } = openJobFileSync(path));
  } catch (err) {
    // Nothing was written. Anything else (EMFILE, EACCES, not a regular file) must not pass for an
    // empty output: the caller answers the job with an error.
    if (isErrno(err, "ENOENT")) return Buffer.alloc(0);
    throw err;
  }
  try {
    if (size === 0) return Buffer.alloc(0);
    const buf = Buffer.alloc(Math.min(size, max));
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs one compiler: no shell, stdin from /dev/null, its own process group (so a kill reaches cc1
 * and as too), stdout and stderr into two files of the job folder (as distccd does; cheaper than
 * pipes, and nothing the compiler leaves running can hold the job open), sent as SOUT and SERR.
 */
export async function runCompiler(run: CompilerRun): Promise<CompilerOutcome> {
  const maxOutput = run.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const launcher = run.launcher ?? inlineLauncher;
  const outPath = join(run.outputDir, "stdout");
  const errPath = join(run.outputDir, "stderr");
  let pid: number | undefined;
  let killedFor: "timeout" | "client-gone" | undefined;
  let killFailed: string | undefined;
  const killGroup = (): void => {
    if (pid === undefined) return; // killed as soon as the pid is known (onSpawn)
    try {
      process.kill(-pid, "SIGKILL");
    } catch (err) {
      // ESRCH: the whole group is gone already. Anything else (EPERM) is said in the answer.
      if (!isErrno(err, "ESRCH")) killFailed = (err as Error).message;
    }
  };
  const kill = (why: "timeout" | "client-gone"): void => {
    if (killedFor) return;
    killedFor = why;
    killGroup();
  };
  const onClientGone = (): void => kill("client-gone");
  const timer = run.lifetimeMs && run.lifetimeMs > 0 ? setTimeout(() => kill("timeout"), run.lifetimeMs) : undefined;
  if (run.clientGone) {
    if (run.clientGone.aborted) killedFor = "client-gone";
    else run.clientGone.addEventListener("abort", onClientGone, { once: true });
  }

  let cgroup: JobCgroup | undefined;
  if (run.cgroups) {
    try {
      cgroup = await run.cgroups.take();
    } catch (err) {
      // Never run a job without its bound: the client compiles it itself.
      clearTimeout(timer);
      run.clientGone?.removeEventListener("abort", onClientGone);
      const note = `ERROR: cannot make the job's cgroup: ${(err as Error).message}`;
      return {
        status: EXIT_COMPILER_MISSING << 8,
        end: "spawn-failed",
        note,
        stdout: Buffer.alloc(0),
        stderr: Buffer.from(`distcc-server: ${note}\n`),
      };
    }
  }
  const [file, args] = run.sandbox
    ? [
        run.sandbox.bwrap,
        run.sandbox.argsFor(run.executable, argsWithinBwrapLimit(run.args, run.outputDir), run.outputDir, run.cwd),
      ]
    : [run.executable, run.args];
  const launched = await launcher.launch(
    {
      file,
      args,
      cwd: run.cwd,
      env: run.env,
      stdoutFile: outPath,
      stderrFile: errPath,
      ...(run.limits ? { limits: run.limits } : {}),
      ...(cgroup ? { cgroupProcs: cgroup.procs } : {}),
    },
    (spawnedPid) => {
      pid = spawnedPid;
      if (killedFor) killGroup();
    },
  );
  clearTimeout(timer);
  run.clientGone?.removeEventListener("abort", onClientGone);
  const hit = cgroup && launched.kind === "exit" && launched.code !== 0 ? cgroup.hit() : undefined;
  // Reused by the next job when empty; else removed in the background, what is left killed.
  if (cgroup) run.cgroups?.release(cgroup);
  // bwrap exits 128 + N when the compiler died of signal N: reported as that signal, as without it.
  const result =
    run.sandbox &&
    launched.kind === "exit" &&
    launched.code !== null &&
    launched.code > 128 &&
    SIGNAL_NAMES.has(launched.code - 128)
      ? { kind: "exit" as const, code: null, signal: SIGNAL_NAMES.get(launched.code - 128) ?? null }
      : launched;

  let ended: Omit<CompilerOutcome, "stdout" | "stderr">;
  if (result.kind === "error") {
    // spawn failed (ENOENT, EACCES, ...): distccd's child would exit 110 here.
    ended = {
      status: EXIT_COMPILER_MISSING << 8,
      end: "spawn-failed",
      note: `ERROR: failed to exec ${run.executable}: ${result.message}`,
    };
  } else if (killedFor === "timeout") {
    ended = {
      status: EXIT_TIMEOUT << 8,
      end: "timeout",
      note: `ERROR: compilation exceeded --job-lifetime (${run.jobLifetimeMs ?? run.lifetimeMs} ms), killed`,
    };
  } else if (killedFor === "client-gone") {
    ended = { status: EXIT_IO_ERROR << 8, end: "client-gone", note: "ERROR: Client fd disconnected, killing job" };
  } else if (result.signal) {
    ended = { status: constants.signals[result.signal] ?? 9, end: "signaled" };
    if (result.signal === "SIGXCPU" || (result.signal === "SIGKILL" && run.limits?.cpuSeconds)) {
      ended.note = limitNote(result.signal, run.limits);
    } else if (result.signal === "SIGXFSZ") {
      ended.note = `ERROR: the compiler wrote a file past --max-compiler-output (${run.limits?.fileSizeMiB ?? 0} MiB), killed`;
    }
  } else {
    ended = { status: ((result.code ?? 0) & 0xff) << 8, end: "exited" };
  }
  if (killFailed && ended.note) ended.note += ` (but it could not be killed: ${killFailed})`;
  const stdout = readBounded(outPath, maxOutput);
  const stderrRaw = readBounded(errPath, maxOutput);
  // A job bound explains a kill or a failed fork better than the per-process guesses above.
  if (hit && run.cgroups && (ended.end === "exited" || ended.end === "signaled")) {
    const b = run.cgroups.bounds;
    ended.note =
      hit === "processes"
        ? `ERROR: the job reached --max-job-processes (${b.processes} processes at once), it was stopped`
        : `ERROR: the job ran out of memory: --max-job-memory is ${b.memoryMiB} MiB for all its processes together`;
  }
  // gcc reports a helper (cc1, as) that ran out of either limit in its own words; we say which limit.
  if (!ended.note && ended.end === "exited" && ended.status !== 0 && run.limits) {
    const text = stderrRaw.toString("latin1");
    if (
      run.limits.addressSpaceMiB &&
      /out of memory|memory exhausted|Cannot allocate memory|std::bad_alloc/i.test(text)
    ) {
      ended.note = `ERROR: the compiler ran out of memory: --max-compiler-memory is ${run.limits.addressSpaceMiB} MiB of address space per process`;
    } else if (run.limits.cpuSeconds && /CPU time limit exceeded/i.test(text)) {
      ended.note = `ERROR: the compiler was stopped: --max-compiler-cpu is ${run.limits.cpuSeconds} s of CPU time per process`;
    } else if (run.limits.fileSizeMiB && /File size limit exceeded/i.test(text)) {
      ended.note = `ERROR: the compiler was stopped: --max-compiler-output is ${run.limits.fileSizeMiB} MiB per file it writes`;
    } else if (run.limits.userProcesses && /Resource temporarily unavailable|Cannot fork|fork: retry/i.test(text)) {
      ended.note = `ERROR: the compiler could not start a process: RLIMIT_NPROC is ${run.limits.userProcesses} processes of the server's user (--max-job-processes without a cgroup)`;
    }
  }
  const stderr = ended.note ? Buffer.concat([stderrRaw, Buffer.from(`distcc-server: ${ended.note}\n`)]) : stderrRaw;
  return { ...ended, stdout, stderr };
}
