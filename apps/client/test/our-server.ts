import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, waitForPort } from "@x/testkit";

export interface ServerHandle {
  port: number;
  host: string;
  log(): string;
  stop(): Promise<void>;
}

export interface DistccServerOptions {
  jobs?: number;
  /** Extra environment (e.g. a DISTCCD_PATH). */
  env?: Record<string, string>;
  /** Where its compiler-identity cache goes (XDG_CACHE_HOME), so tests do not share one. */
  cacheDir?: string;
  /** More flags (e.g. `--allow 10.11.12.13`). */
  extraArgs?: string[];
  /** This port instead of a free one (a restart on the same address). */
  port?: number;
  /** Run as this user (the testkit's unprivilegedUser()). */
  user?: { uid: number; gid: number };
}

/** Our `distcc-server` (apps/server, built) on 127.0.0.1 on a free port, logging to a string. */
export async function startDistccServer(opts: DistccServerOptions = {}): Promise<ServerHandle> {
  const cli = fileURLToPath(new URL("../../server/dist/cli.js", import.meta.url));
  const port = opts.port ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      cli,
      "--port",
      String(port),
      "--listen",
      "127.0.0.1",
      "--jobs",
      String(opts.jobs ?? 4),
      "--log-stderr",
      "--log-level",
      "info",
      ...(opts.extraArgs ?? []),
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid, cwd: "/" } : {}),
      env: { ...process.env, ...(opts.cacheDir ? { XDG_CACHE_HOME: opts.cacheDir } : {}), ...opts.env },
    },
  );
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (log += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await Promise.race([
    waitForPort(port),
    exited.then(() => {
      throw new Error(`distcc-server exited at start:\n${log}`);
    }),
  ]);
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}
