import { parseWaitStatus, statusToExitCode, type CompileResponse } from "@x/distcc-protocol";
import type { PlacedJob, TcpHost } from "./job-context.js";
import type { LocalCopyResult } from "./local-copy.js";
import { checkReturnedObject } from "./object-check.js";

/** How one attempt (a send to a helper, or a straggler's copy compiled here) ended. */
export type AttemptResult =
  | { kind: "answered"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  | { kind: "copy-compiled"; run: LocalCopyResult; elapsedMs: number }
  | { kind: "failed"; host?: TcpHost; reason: string }
  | { kind: "stopped" };

/** What an attempt's answer means for the job. */
export type Verdict =
  /** A helper's object, checked: written into place. */
  | { kind: "object"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  /** The compiler said no on a helper: its verdict, not the host's fault. */
  | { kind: "compile-error"; host: TcpHost; response: CompileResponse; elapsedMs: number; serverMs?: number }
  /** The copy compiled here: whatever it says is the local verdict. */
  | { kind: "copy"; run: LocalCopyResult; elapsedMs: number }
  | { kind: "failed"; host?: TcpHost; reason: string };

/**
 * Whose fault an answer is: an object that is wrong for this machine, distccd's own failure codes and
 * signals are the host's (it is backed off, the job placed again); any other failure is the compiler's.
 */
export function judge(placed: PlacedJob, result: Exclude<AttemptResult, { kind: "stopped" }>): Verdict {
  if (result.kind === "failed") return result;
  if (result.kind === "copy-compiled") return { kind: "copy", run: result.run, elapsedMs: result.elapsedMs };
  const { host, response, elapsedMs, serverMs } = result;
  const timing = serverMs !== undefined ? { elapsedMs, serverMs } : { elapsedMs };
  const wait = parseWaitStatus(response.status);
  const exitCode = statusToExitCode(response.status);
  if (wait.kind === "exited" && wait.code === 0) {
    // Never a wrong object in the build: a helper that compiled for another machine is a failed host.
    const check = checkReturnedObject(response.object, placed.rewrite.identity, placed.scan.mode, placed.scan.argv);
    return check.ok ? { kind: "object", host, response, ...timing } : { kind: "failed", host, reason: check.reason };
  }
  // distccd's own failures (compiler missing 110, client gone 107, lifetime 118, ...) and signals
  // are the host's fault, not the compiler's verdict.
  if (wait.kind === "signaled" || (exitCode >= 100 && exitCode <= 127)) {
    const firstLine = Buffer.from(response.stderr).toString().trim().split("\n")[0] ?? "";
    const reason =
      wait.kind === "signaled"
        ? `the compiler was killed by signal ${wait.signal}`
        : `the server failed with distcc code ${exitCode}${firstLine ? `: ${firstLine}` : ""}`;
    return { kind: "failed", host, reason };
  }
  return { kind: "compile-error", host, response, ...timing };
}
