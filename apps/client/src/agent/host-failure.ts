/** Turns a failed remote attempt into the reason a user reads ("which host failed and why"). */

/** What went wrong, as far as the client can tell from the socket. */
export type HostFailureKind =
  /** The host name does not resolve (getaddrinfo). */
  | "dns"
  | "refused"
  | "connect-timeout"
  | "connect"
  /** Connected, then reset before a single byte came back: not in --allow, or not a distcc server. */
  | "reset-before-answer"
  /** Connected, the request went out, then a clean close without a byte: distccd's refusal of a compiler. */
  | "closed-after-request"
  | "io-timeout"
  | "cut-short"
  | "protocol"
  | "other";

export interface HostFailure {
  /** Stable code (from the protocol package's errors, or ours). */
  code: string;
  kind: HostFailureKind;
  reason: string;
}

/** The one reason both servers give by resetting before any answer (measured with distccd 3.4 and ours). */
const RESET_BEFORE_ANSWER =
  "reset the connection before any answer: this machine is not in its --allow list, or it is not a distcc server";

const CLOSED_AFTER_REQUEST = "closed the connection after the request without answering";

const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL", "EAI_NODATA"]);

/**
 * `knownGood`: the host already served this compiler (or is known to be our server, which explains
 * every refusal): a silent close then means it stopped or died, not that the compiler is missing.
 */
export function describeHostFailure(
  err: unknown,
  ioTimeoutMs: number,
  context: { compiler?: string; knownGood?: boolean } = {},
): HostFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; hostname?: unknown } } | undefined;
  const code = typeof e?.code === "string" ? e.code : "DISTCC_ERR_UNKNOWN";
  const message = typeof e?.message === "string" ? e.message : String(err);
  const sys = typeof e?.cause?.code === "string" ? e.cause.code : "";
  switch (code) {
    case "DISTCC_ERR_NO_ANSWER":
      if (context.knownGood) {
        const what = sys !== "" ? "reset the connection before any answer" : CLOSED_AFTER_REQUEST;
        return {
          code,
          kind: sys !== "" ? "reset-before-answer" : "closed-after-request",
          reason: `${what} (it served this compiler before: did the server stop or die?)`,
        };
      }
      if (sys !== "") return { code, kind: "reset-before-answer", reason: RESET_BEFORE_ANSWER };
      return {
        code,
        kind: "closed-after-request",
        reason: `${CLOSED_AFTER_REQUEST}: on a distccd this means ${context.compiler ? `'${context.compiler}'` : "the compiler"} is not whitelisted or not installed there`,
      };
    case "DISTCC_ERR_CONNECT":
      // Accepted and reset at once (before the socket even reported the connection): the same refusal.
      if (sys === "ECONNRESET")
        return describeHostFailure({ code: "DISTCC_ERR_NO_ANSWER", cause: { code: sys } }, ioTimeoutMs, context);
      if (DNS_CODES.has(sys)) return { code, kind: "dns", reason: `the name does not resolve (DNS: ${sys})` };
      if (sys === "ECONNREFUSED")
        return { code, kind: "refused", reason: "connection refused (no server on that port)" };
      if (/timed out/i.test(message) || sys === "ETIMEDOUT")
        return { code, kind: "connect-timeout", reason: "connect timed out (DISTCC_CONNECT_TIMEOUT)" };
      return { code, kind: "connect", reason: `cannot connect: ${sys || message}` };
    case "DISTCC_ERR_TIMEOUT":
      return {
        code,
        kind: "io-timeout",
        reason: `no data for ${Math.round(ioTimeoutMs / 1000)} s (DISTCC_IO_TIMEOUT): ${message}`,
      };
    case "DISTCC_ERR_CLOSED":
    case "DISTCC_ERR_TRUNCATED":
      return {
        code,
        kind: "cut-short",
        reason: `closed the connection in the middle of the answer (did the server die?): ${message}`,
      };
    default:
      if (code.startsWith("DISTCC_ERR_")) return { code, kind: "protocol", reason: `protocol error: ${message}` };
      return { code, kind: "other", reason: message };
  }
}
