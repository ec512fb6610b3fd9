import { spawn } from "node:child_process";

/** Set in the detached copy so it does not detach again. */
export const DETACHED_ENV = "DISTCC_SERVER_DETACHED";

/**
 * Node cannot fork, so `--daemon` (without --no-detach) starts a detached copy of this process
 * (new session, no terminal, stdio closed) and waits until that copy reports that it listens, or
 * fails to start. The parent then exits with 0 (or 1 with the copy's error), like a forking daemon.
 */
export function startDetachedCopy(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const script = process.argv[1] as string;
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      env: { ...process.env, [DETACHED_ENV]: "1" },
    });
    const timer = setTimeout(() => {
      process.stderr.write("distcc-server: the background server did not report ready within 60 s\n");
      resolve(1);
    }, 60_000);
    child.once("message", (msg: { ready?: boolean; error?: string }) => {
      clearTimeout(timer);
      if (msg.ready) {
        process.stdout.write(`distcc-server: running in the background, pid ${child.pid}\n`);
        child.disconnect();
        child.unref();
        resolve(0);
      } else {
        process.stderr.write(`distcc-server: ${msg.error ?? "failed to start"}\n`);
        resolve(1);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      process.stderr.write(`distcc-server: the background server exited at start (status ${code})\n`);
      resolve(1);
    });
  });
}

/** In the detached copy: tell the waiting parent how start-up went, then cut the channel. */
export function reportToParent(message: { ready: true } | { ready: false; error: string }): void {
  if (!process.send) return;
  process.send(message, () => process.disconnect?.());
}
