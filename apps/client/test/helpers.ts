import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makeCompilerLinks } from "../dist/index.js";
import { waitFor } from "@x/testkit";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the test process keeps serving proxies and logs meanwhile). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; uid?: number; gid?: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const as = opts.uid !== undefined ? { uid: opts.uid, ...(opts.gid !== undefined ? { gid: opts.gid } : {}) } : {};
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], ...as });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 170_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A links directory with the native launcher (built once per test file). */
export function makeLinks(dir: string): { launcher: string; dir: string } {
  const r = makeCompilerLinks(dir, process.env);
  if (r.launcher !== "native") throw new Error(`native launcher not built: ${r.warning}`);
  return { launcher: r.launcherPath, dir: r.dir };
}

/** The environment a build runs with: our DISTCC_DIR and host list, nothing inherited from DISTCC_*. */
export function clientEnv(distccDir: string, hosts: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("DISTCC") && !k.startsWith("_DISTCC")) env[k] = v;
  return { ...env, DISTCC_DIR: distccDir, DISTCC_HOSTS: hosts, DISTCC_AGENT_IDLE_TIMEOUT: "60", ...extra };
}

/** Stops the agent of a DISTCC_DIR (tests clean up their processes). */
export async function stopAgent(distccDir: string): Promise<void> {
  const pidFile = join(distccDir, "agent", "agent.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  rmSync(pidFile, { force: true });
  const gone = (err: unknown): boolean => {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    return true;
  };
  try {
    process.kill(pid, "SIGTERM");
  } catch (err) {
    if (gone(err)) return;
  }
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if (gone(err)) return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch (err) {
    gone(err);
  }
}

export function agentPid(distccDir: string): number | undefined {
  const pidFile = join(distccDir, "agent", "agent.pid");
  return existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined;
}

/** `objdump -d` without the header line that names the file. */
export async function disassemble(path: string): Promise<string> {
  const r = await run("objdump", ["-d", path], { cwd: "/", env: process.env });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout
    .split("\n")
    .filter((l) => !l.includes("file format"))
    .join("\n");
}

/** gcc prints source snippets under a diagnostic only when it can read the source: a server compiling
 * a .i cannot (distcc has the same difference). Everything else must be identical. */
export function withoutSourceSnippets(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !/^\s*\d*\s*\|/.test(l))
    .join("\n");
}

/** Counts `COMPILE_OK`/`COMPILE_ERROR` summaries in a distccd log. */
export function distccdJobs(log: string): { ok: number; error: number } {
  return {
    ok: (log.match(/COMPILE_OK/g) ?? []).length,
    error: (log.match(/COMPILE_ERROR/g) ?? []).length,
  };
}

/**
 * distccd writes its job summary just after the answer: wait until the log shows at least `want`
 * (the counts then), or fail naming what was missing.
 */
export async function waitForJobs(
  log: () => string,
  want: { ok?: number; error?: number },
  timeoutMs = 5000,
): Promise<{ ok: number; error: number }> {
  return waitFor(
    `the distccd log to count at least ${JSON.stringify(want)} jobs`,
    () => {
      const now = distccdJobs(log());
      return (want.ok === undefined || now.ok >= want.ok) && (want.error === undefined || now.error >= want.error)
        ? now
        : undefined;
    },
    { timeoutMs },
  );
}
