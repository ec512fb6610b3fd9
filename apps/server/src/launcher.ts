import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";

/** Resource limits set on each compiler process (0 or undefined = none). */
export interface ProcessLimits {
  /** RLIMIT_AS in MiB. */
  addressSpaceMiB?: number;
  /** RLIMIT_CPU in seconds (SIGXCPU, then SIGKILL a second later). */
  cpuSeconds?: number;
  /** RLIMIT_FSIZE in MiB: no file the compiler writes grows past it (SIGXFSZ). */
  fileSizeMiB?: number;
  /** RLIMIT_NPROC: processes of the server's user (the fallback job bound when there is no cgroup). */
  userProcesses?: number;
}

/** One compiler to start: no shell, stdin /dev/null, stdout/stderr into files, own process group. */
export interface LaunchRequest {
  file: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutFile: string;
  stderrFile: string;
  limits?: ProcessLimits;
  /** cgroup.procs files the compiler joins before it runs (its job's cgroups). */
  cgroupProcs?: readonly string[];
}

export type LaunchResult =
  | { kind: "exit"; code: number | null; signal: NodeJS.Signals | null }
  | { kind: "error"; message: string };

/** Starts compilers. `onSpawn` gets the pid (= process group id) as soon as it is known. */
export interface Launcher {
  launch(req: LaunchRequest, onSpawn: (pid: number) => void): Promise<LaunchResult>;
  close(): void;
}

const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => existsSync(p));

/**
 * Node's spawn cannot call setrlimit between fork and exec, so the launchers written in Node put
 * util-linux's `prlimit` in front of the compiler (the native helper sets the limits itself).
 * Without prlimit the limits cannot be applied; the native helper is the default anyway.
 */
function withLimitsPrefix(req: LaunchRequest): LaunchRequest {
  const as = req.limits?.addressSpaceMiB ?? 0;
  const cpu = req.limits?.cpuSeconds ?? 0;
  const fsize = req.limits?.fileSizeMiB ?? 0;
  const nproc = req.limits?.userProcesses ?? 0;
  if (!PRLIMIT || (as <= 0 && cpu <= 0 && fsize <= 0 && nproc <= 0)) return req;
  const opts = [
    ...(as > 0 ? [`--as=${as * 1024 * 1024}`] : []),
    ...(cpu > 0 ? [`--cpu=${cpu}:${cpu + 1}`] : []),
    ...(fsize > 0 ? [`--fsize=${fsize * 1024 * 1024}`] : []),
    ...(nproc > 0 ? [`--nproc=${nproc}`] : []),
  ];
  return { ...req, file: PRLIMIT, args: [...opts, "--", req.file, ...req.args] };
}

const SH = ["/bin/sh", "/usr/bin/sh"].find((p) => existsSync(p)) ?? "/bin/sh";

/**
 * Node's spawn cannot join a cgroup between fork and exec either: a shell joins the job's cgroups
 * and execs the rest, so nothing the compiler starts runs outside them (writing the pid from here
 * after spawn would race with the compiler's first fork).
 */
function withCgroupPrefix(req: LaunchRequest): LaunchRequest {
  const files = req.cgroupProcs ?? [];
  if (files.length === 0) return req;
  const script = `for f in ${files.map((_, i) => `"$${i + 1}"`).join(" ")}; do echo 0 > "$f" || exit 127; done; shift ${files.length}; exec "$@"`;
  return { ...req, file: SH, args: ["-c", script, "sh", ...files, req.file, ...req.args] };
}

/**
 * Spawns from this process: the fallback when the C spawn helper cannot be built or started
 * (native-launcher.ts), and --inline-spawn. Each spawn forks the whole server, so it costs more as
 * the server grows.
 */
export const inlineLauncher: Launcher = {
  launch(original, onSpawn) {
    // prlimit outermost: the limits then hold for the shell that joins the cgroups and its exec.
    const req = withLimitsPrefix(withCgroupPrefix(original));
    return new Promise((resolve) => {
      let out: number | undefined;
      let err: number | undefined;
      let child: ChildProcess;
      try {
        out = openSync(req.stdoutFile, "w", 0o600);
        err = openSync(req.stderrFile, "w", 0o600);
        child = spawn(req.file, req.args as string[], {
          cwd: req.cwd,
          env: req.env,
          stdio: ["ignore", out, err],
          detached: true,
          shell: false,
        });
      } catch (e) {
        resolve({ kind: "error", message: (e as Error).message });
        return;
      } finally {
        if (out !== undefined) closeSync(out);
        if (err !== undefined) closeSync(err);
      }
      if (child.pid !== undefined) onSpawn(child.pid);
      child.once("error", (e) => resolve({ kind: "error", message: e.message }));
      child.once("exit", (code, signal) => resolve({ kind: "exit", code, signal }));
    });
  },
  close() {},
};
