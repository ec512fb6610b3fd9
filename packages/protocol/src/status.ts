/** Helpers for STAT, which carries the compiler's Unix wait status exactly as waitpid() returned it. */

export type WaitStatus = { kind: "exited"; code: number } | { kind: "signaled"; signal: number; core: boolean };

/** Wait status of a process that exited with `code` (0..255): `code << 8`. */
export function exitedStatus(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`exit code out of range 0..255: ${code}`);
  return code << 8;
}

/** Wait status of a process killed by `signal` (1..127), with 0x80 when a core was dumped. */
export function signaledStatus(signal: number, core = false): number {
  if (!Number.isInteger(signal) || signal < 1 || signal > 0x7e)
    throw new RangeError(`signal out of range 1..126: ${signal}`);
  return signal | (core ? 0x80 : 0);
}

/**
 * Decodes a wait status the way the W* macros of glibc do. Stopped/continued statuses cannot
 * come from distccd (it waits for termination); they are reported as "exited" with the high byte.
 */
export function parseWaitStatus(status: number): WaitStatus {
  const s = status >>> 0;
  const sig = s & 0x7f;
  if (sig === 0 || sig === 0x7f) return { kind: "exited", code: (s >>> 8) & 0xff };
  return { kind: "signaled", signal: sig, core: (s & 0x80) !== 0 };
}

/** What the distcc client exits with for a status (src/exec.c): exited c -> c, signal s -> 128 + s. */
export function statusToExitCode(status: number): number {
  const w = parseWaitStatus(status);
  return w.kind === "exited" ? w.code : 128 + w.signal;
}
