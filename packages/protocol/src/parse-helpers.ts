import { DistccProtocolError } from "./errors.js";
import type { DecoderLimits } from "./limits.js";
import { decodeHeader, type TokenName } from "./tokens.js";

const utf8 = new TextDecoder("utf-8");

/** Parses a header and insists on one of the tokens allowed at this point (else a derailment). */
export function expectToken(bytes: Uint8Array, ...allowed: TokenName[]): { token: TokenName; value: number } {
  const h = decodeHeader(bytes);
  if (!allowed.includes(h.token)) {
    throw new DistccProtocolError(
      "DISTCC_ERR_BAD_TOKEN",
      `protocol derailment: expected ${allowed.map((t) => `"${t}"`).join(" or ")}, got "${h.token}"`,
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
      throw new DistccProtocolError("DISTCC_ERR_LIMIT", `${what}: the message holds more than maxTotal=${this.limit} bytes`);
    }
  }
}
