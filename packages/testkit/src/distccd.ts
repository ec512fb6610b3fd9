import { spawn, type ChildProcess } from "node:child_process";
import { freePort, waitForPort } from "./ports.js";

export interface DistccdOptions {
  /** --jobs (default 2). */
  jobs?: number;
  /** extra distccd flags, e.g. ["--enable-tcp-insecure"]. */
  extraArgs?: string[];
  /** extra environment for distccd (e.g. DISTCCD_PATH). */
  env?: Record<string, string>;
  /** --allow entries (default 127.0.0.1). */
  allow?: string[];
}

export interface DistccdHandle {
  port: number;
  /** `127.0.0.1:PORT` for DISTCC_HOSTS. */
  host: string;
  /** Everything distccd logged so far (--log-stderr --log-level debug). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's real distccd on 127.0.0.1 on a free port, in the foreground, logging to stderr.
 * Started as root it drops to user `distccd`, as in production.
 */
export async function startDistccd(options: DistccdOptions = {}): Promise<DistccdHandle> {
  const port = await freePort();
  const allow = (options.allow ?? ["127.0.0.1"]).flatMap((a) => ["--allow", a]);
  const args = [
    "--no-detach",
    "--daemon",
    "--listen",
    "127.0.0.1",
    "--port",
    String(port),
    "--jobs",
    String(options.jobs ?? 2),
    "--log-stderr",
    "--log-level",
    "debug",
    ...allow,
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn("distccd", args, {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (d: string) => (log += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await Promise.race([
      waitForPort(port),
      exited.then(() => {
        throw new Error(`distccd exited at start:\n${log}`);
      }),
    ]);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // distccd runs its workers in its own process group; kill the group.
      try {
        if (child.pid) process.kill(-child.pid, "SIGTERM");
      } catch (err) {
        // No such group (distccd had not made its own yet): the process itself.
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        child.kill("SIGTERM");
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
