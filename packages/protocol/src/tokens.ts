import { DistccProtocolError } from "./errors.js";

/** Every token name of distcc 3.4 (spec section 2). */
export type TokenName =
  | "DIST"
  | "CDIR"
  | "ARGC"
  | "ARGV"
  | "DOTI"
  | "NFIL"
  | "NAME"
  | "FILE"
  | "LINK"
  | "DONE"
  | "STAT"
  | "SERR"
  | "SOUT"
  | "DOTO"
  | "DOTD"
  | "TLEN";

export const TOKEN_NAMES: readonly TokenName[] = [
  "DIST",
  "CDIR",
  "ARGC",
  "ARGV",
  "DOTI",
  "NFIL",
  "NAME",
  "FILE",
  "LINK",
  "DONE",
  "STAT",
  "SERR",
  "SOUT",
  "DOTO",
  "DOTD",
  "TLEN",
];

/** A header is 4 ASCII letters and 8 hex digits, nothing else. */
export const HEADER_LENGTH = 12;

export interface TokenHeader {
  token: TokenName;
  value: number;
}

const HEX = "0123456789abcdef";
/** Token names keyed by their 4 bytes read as a big-endian integer (faster than building strings). */
const tokenByCode = new Map<number, TokenName>(
  TOKEN_NAMES.map((t) => [
    ((t.charCodeAt(0) << 24) | (t.charCodeAt(1) << 16) | (t.charCodeAt(2) << 8) | t.charCodeAt(3)) >>> 0,
    t,
  ]),
);

/** Writes the 12-byte header into `target` at `offset` (lower-case hex, zero-padded, as distcc writes). */
export function writeHeader(target: Uint8Array, offset: number, token: TokenName, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`token ${token}: value ${value} does not fit in 32 bits`);
  }
  for (let i = 0; i < 4; i++) target[offset + i] = token.charCodeAt(i);
  let v = value;
  for (let i = 11; i >= 4; i--) {
    target[offset + i] = HEX.charCodeAt(v & 15);
    v = Math.floor(v / 16);
  }
}

/** The 12-byte header `token` + value as 8 lower-case hex digits. */
export function encodeHeader(token: TokenName, value: number): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  writeHeader(out, 0, token, value);
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

function printable(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return s;
}

/**
 * Parses a 12-byte header at `offset`. The name must be one of the known tokens (case-sensitive,
 * as distccd compares it). The number must be exactly 8 hex digits of either case: distccd's
 * strtoul also takes a sign, spaces or "0x" inside the 8 characters, which we reject (spec 2 allows it).
 */
export function decodeHeader(bytes: Uint8Array, offset = 0): TokenHeader {
  if (bytes.length - offset < HEADER_LENGTH) {
    throw new DistccProtocolError("DISTCC_ERR_TRUNCATED", "a token header needs 12 bytes");
  }
  const code =
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
  const name = tokenByCode.get(code);
  if (name === undefined) {
    throw new DistccProtocolError(
      "DISTCC_ERR_BAD_TOKEN",
      `unknown token "${printable(bytes.subarray(offset, offset + 4))}"`,
    );
  }
  let value = 0;
  for (let i = offset + 4; i < offset + 12; i++) {
    const d = hexDigit(bytes[i]!);
    if (d < 0) {
      throw new DistccProtocolError(
        "DISTCC_ERR_BAD_HEX",
        `token ${name}: parameter "${printable(bytes.subarray(offset + 4, offset + 12))}" is not 8 hex digits`,
      );
    }
    value = value * 16 + d;
  }
  return { token: name, value };
}
