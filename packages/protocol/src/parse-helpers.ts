import { DistccProtocolError } from "./errors.js";
import type { DecoderLimits } from "./limits.js";
import { decodeHeader, type TokenName } from "./tokens.js";

const utf8 = new TextDecoder("utf-8");

/** Parses a header and insists on one of the tokens allowed at this point (else a derailment). */
export function expectToken(
  bytes: Uint8Array,
  allowed: TokenName,
  orElse?: TokenName,
): { token: TokenName; value: number } {
  const h = decodeHeader(bytes);
  if (h.token !== allowed && h.token !== orElse) {
    throw new DistccProtocolError(
      "DISTCC_ERR_BAD_TOKEN",
      `protocol derailment: expected "${allowed}"${orElse ? ` or "${orElse}"` : ""}, got "${h.token}"`,
    );
  }
  return h;
}

export function checkLimit(what: string, value: number, limit: number, limitName: keyof DecoderLimits): void {
  if (value > limit) {
    throw new DistccProtocolError("DISTCC_ERR_LIMIT", `${what} is ${value}, over the limit ${limitName}=${limit}`);
  }
}

/** Strings travel as raw bytes without NUL; we read them as UTF-8 (invalid sequences become U+FFFD). */
export function decodeString(bytes: Uint8Array): string {
  // Most arguments and paths are short ASCII; building those directly is much faster than TextDecoder.
  if (bytes.length <= 64) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return utf8.decode(bytes);
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8.decode(bytes);
}

/** Counts bytes toward maxTotal. */
export class TotalBudget {
  used = 0;
  constructor(private readonly limit: number) {}
  /** What may still be added. */
  get left(): number {
    return Math.max(0, this.limit - this.used);
  }
  add(n: number, what: string): void {
    this.used += n;
    if (this.used > this.limit) {
      throw new DistccProtocolError(
        "DISTCC_ERR_LIMIT",
        `${what}: the message holds more than maxTotal=${this.limit} bytes`,
      );
    }
  }
}
