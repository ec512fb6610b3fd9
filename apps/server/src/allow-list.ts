import { isIPv4, isIPv6 } from "node:net";
import { DistccServerError } from "./errors.js";

/** One `--allow` entry: an address with a prefix length, IPv4 or IPv6. */
export interface AllowRule {
  /** The text as given, e.g. "10.0.0.0/8". */
  readonly text: string;
  readonly family: 4 | 6;
  /** Address as a big integer (32 or 128 bits). */
  readonly network: bigint;
  readonly bits: number;
}

/** distccd's `--allow-private` ranges (src/dopt.c), plus ::1 which 3.4 leaves out by an off-by-one. */
export const PRIVATE_RANGES: readonly string[] = [
  "192.168.0.0/16",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "127.0.0.0/8",
  "fe80::/10",
  "fc00::/7",
  "::1/128",
];

/** What we accept when nobody said otherwise: this machine only. */
export const LOOPBACK_RANGES: readonly string[] = ["127.0.0.0/8", "::1/128"];

function ipv4ToBig(addr: string): bigint {
  return addr.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToBig(addr: string): bigint {
  let text = addr;
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = ipv4ToBig(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const headGroups = head ? head.split(":") : [];
  const restGroups = rest ? rest.split(":") : [];
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...restGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Parses `IP[/BITS]` (IPv4 or IPv6). Throws DistccServerError DISTCC_SERVER_ERR_ALLOW with an example. */
export function parseAllowRule(text: string): AllowRule {
  const slash = text.indexOf("/");
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const bitsText = slash >= 0 ? text.slice(slash + 1) : undefined;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) {
    throw new DistccServerError(
      "DISTCC_SERVER_ERR_ALLOW",
      `--allow ${JSON.stringify(text)}: not an IP address; expected IP or IP/BITS, e.g. 192.168.1.0/24 or fd00::/8`,
    );
  }
  const width = family === 4 ? 32 : 128;
  let bits = width;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) {
      throw new DistccServerError(
        "DISTCC_SERVER_ERR_ALLOW",
        `--allow ${JSON.stringify(text)}: the mask must be a number of bits from 0 to ${width}, e.g. ${addr}/${family === 4 ? 24 : 64}`,
      );
    }
    bits = Number(bitsText);
  }
  const value = family === 4 ? ipv4ToBig(addr) : ipv6ToBig(addr);
  return { text, family, network: value & mask(width, bits), bits };
}

function mask(width: number, bits: number): bigint {
  if (bits === 0) return 0n;
  return ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
}

/** The set of client addresses a server accepts. */
export class AllowList {
  private current: readonly AllowRule[];
  constructor(entries: readonly string[]) {
    this.current = entries.map(parseAllowRule);
  }

  get rules(): readonly AllowRule[] {
    return this.current;
  }

  /** Takes the rules of `other` (a reload): every holder of this list sees the new rules at once. */
  replaceWith(other: AllowList): void {
    this.current = other.rules;
  }

  /** True if `address` (as Node reports it: "127.0.0.1", "::1", "::ffff:10.1.2.3") matches a rule. */
  allows(address: string | undefined): boolean {
    if (!address) return false;
    let addr = address;
    let family: 4 | 6 = isIPv4(addr) ? 4 : 6;
    // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6; match them against IPv4 rules.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
    if (mapped?.[1]) {
      addr = mapped[1];
      family = 4;
    }
    if (family === 6 && !isIPv6(addr)) return false;
    const value = family === 4 ? ipv4ToBig(addr) : ipv6ToBig(addr);
    const width = family === 4 ? 32 : 128;
    return this.rules.some((r) => r.family === family && (value & mask(width, r.bits)) === r.network);
  }
}
