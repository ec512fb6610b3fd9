import { spawn } from "node:child_process";
import { EXIT_DISTCC_FAILED, EXIT_SUCCESS } from "@x/distcc-protocol";

/** Set in the detached copy so it does not detach again. */
export const DETACHED_ENV = "DISTCC_SERVER_DETACHED";

/** What the detached copy tells its parent once start-up is over. */
export type StartReport = { ready: true } | { ready: false; error: string; status: number };

/**
 * Node cannot fork, so `--daemon` (without --no-detach) starts a detached copy of this process
 * (new session, no terminal, stdio closed) and waits until that copy reports that it listens, or
 * fails to start. The parent then exits with 0, or with the copy's exit status (102 for a busy
 * port, as distccd: its test suite and init scripts try the next port on 102).
 */
export function startDetachedCopy(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number, message?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (message) process.stderr.write(`distcc-server: ${message}\n`);
      resolve(status);
    };
    const script = process.argv[1] as string;
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", "ipc"],
      env: { ...process.env, [DETACHED_ENV]: "1" },
    });
    const timer = setTimeout(
      () => settle(EXIT_DISTCC_FAILED, "the background server did not report ready within 60 s"),
      60_000,
    );
    child.once("message", (msg: StartReport) => {
      if (msg.ready) {
        process.stdout.write(`distcc-server: running in the background, pid ${child.pid}\n`);
        child.disconnect();
        child.unref();
        settle(EXIT_SUCCESS);
      } else settle(msg.status, msg.error);
    });
    child.once("exit", (code, signal) => {
      settle(
        code ?? EXIT_DISTCC_FAILED,
        `the background server exited at start (${signal ? `signal ${signal}` : `status ${code}`})`,
      );
    });
  });
}

/** In the detached copy: tell the waiting parent how start-up went, then cut the channel. */
export function reportToParent(message: StartReport): void {
  if (!process.send) return;
  process.send(message, () => process.disconnect?.());
}
