/** Turns a failed remote attempt into the reason a user reads ("which host failed and why"). */

export interface HostFailure {
  /** Stable code (from the protocol package's errors, or ours). */
  code: string;
  reason: string;
}

const NO_ANSWER =
  "closed without answering: on a distccd this means the compiler is not whitelisted or not installed, " +
  "or this machine is not in --allow";

export function describeHostFailure(err: unknown, ioTimeoutMs: number): HostFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof e?.code === "string" ? e.code : "DISTCC_ERR_UNKNOWN";
  const message = typeof e?.message === "string" ? e.message : String(err);
  const sys = typeof e?.cause?.code === "string" ? e.cause.code : "";
  switch (code) {
    case "DISTCC_ERR_NO_ANSWER":
      return { code, reason: NO_ANSWER };
    case "DISTCC_ERR_CONNECT":
      if (sys === "ECONNREFUSED" || /ECONNREFUSED|refused/i.test(message)) return { code, reason: "connection refused (no server on that port)" };
      if (/timed? ?out|ETIMEDOUT/i.test(message)) return { code, reason: "connect timed out" };
      return { code, reason: `cannot connect: ${message}` };
    case "DISTCC_ERR_TIMEOUT":
      return { code, reason: `no data for ${Math.round(ioTimeoutMs / 1000)} s (DISTCC_IO_TIMEOUT): ${message}` };
    case "DISTCC_ERR_CLOSED":
    case "DISTCC_ERR_TRUNCATED":
      return { code, reason: `closed the connection in the middle of the answer (did the server die?): ${message}` };
    default:
      if (code.startsWith("DISTCC_ERR_")) return { code, reason: `protocol error: ${message}` };
      return { code, reason: message };
  }
}
