/**
 * distcc 3.4's DNS-SD records (docs/spec/zeroconf.md): the service type, the subtype of a
 * toolchain, the TXT keys distccd sends, and how a client turns a found service into a host.
 */
import type { FoundService } from "./types.js";

export const DISTCC_SERVICE_TYPE = "_distcc._tcp";

/** distcc's `strip_bad_chars`: a-z and 0-9 kept, A-Z lowered, every other byte becomes `-`. */
export function dnssdLabelChars(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    if ((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)) out += String.fromCharCode(byte);
    else if (byte >= 0x41 && byte <= 0x5a) out += String.fromCharCode(byte + 32);
    else out += "-";
  }
  return out;
}

/**
 * The subtype label distcc's `dcc_make_dnssd_subtype` makes of `cc -dumpmachine` and
 * `cc -dumpversion`: `x86_64-linux-gnu`, `12` -> `_x86-64-linux-gnu--12`. The full name is
 * `<label>._sub._distcc._tcp`.
 */
export function distccSubtype(machine: string, version: string): string {
  return `_${dnssdLabelChars(machine)}--${dnssdLabelChars(version)}`;
}

/** DNS labels hold at most 63 bytes: a longer subtype cannot be registered (and no distcc browses it). */
export function isValidSubtype(label: string): boolean {
  return label.length >= 2 && label.length <= 63;
}

export interface ServerTxtFacts {
  cpus: number;
  jobs: number;
  /** The native compiler's `-dumpmachine` and `-dumpversion`, as distccd's `cc` gives them. */
  ccMachine?: string;
  ccVersion?: string;
  /** Our own keys, after distccd's (`key=value`). */
  extra?: readonly string[];
}

/** distccd's build host: real clients ignore it, but it is part of the record they see. */
const GNU_HOST = "x86_64-pc-linux-gnu";

/** TXT strings as distccd 3.4 sends them, in its order, then ours; each at most 255 bytes. */
export function distccServerTxt(facts: ServerTxtFacts): string[] {
  const txt = ["txtvers=1", `cpus=${facts.cpus}`, `jobs=${facts.jobs}`, "distcc=3.4", `gnuhost=${GNU_HOST}`];
  if (facts.ccVersion) txt.push(`cc_version=${facts.ccVersion}`);
  if (facts.ccMachine) txt.push(`cc_machine=${facts.ccMachine}`);
  for (const entry of facts.extra ?? []) if (Buffer.byteLength(entry) <= 255) txt.push(entry);
  return txt;
}

/** A found service as distcc makes it a host: `jobs` from TXT, else `cpus + 2` (cpus <= 0 counts 1). */
export function distccHostFor(service: FoundService): { host: string; port: number; limit: number; spec: string } {
  const cpus = Math.max(1, Number.parseInt(service.txt.cpus ?? "", 10) || 1);
  const jobs = Number.parseInt(service.txt.jobs ?? "", 10);
  const limit = jobs > 0 ? jobs : cpus + 2;
  const bracketed = service.address.includes(":") ? `[${service.address}]` : service.address;
  return { host: service.address, port: service.port, limit, spec: `${bracketed}:${service.port}/${limit}` };
}
