// A transcription of distcc 3.4's `dcc_parse_hosts` (src/hosts.c) over a JS string. The quirks are
// deliberate: the per-entry parsers read the whole remaining text, not just the entry, so a value
// can come from past a `#` or from the next entry (`a/ 5`). We follow distcc and warn instead.
import { HostSpecError, type HostSpecProblem } from "./errors.js";
import { isDigit, isSpace, spanUntil, startsWithAt, stopSet, strtolInt } from "./cstring.js";
import {
  DEFAULT_LOCAL_SLOTS,
  DEFAULT_LOCAL_SLOTS_CPP,
  DEFAULT_LOCALHOST_LIMIT,
  DEFAULT_PORT,
  DEFAULT_REMOTE_LIMIT,
  type Compression,
  type HostEntry,
  type HostList,
  type HostWarning,
  type HostWarningCode,
  type ParseHostListOptions,
  type ProtocolVersion,
} from "./types.js";

/** Characters that end an entry (note: not \v, which distcc skips between entries only). */
const ENTRY_STOPS = stopSet(" #\t\n\f\r");
const HOST_STOPS = stopSet("/: \t\n\r\f,");
const IPV6_STOPS = stopSet("/] \t\n\r\f,");
const COMMAND_STOPS = stopSet(" \t\n\r\f,");
const OPTION_WORD_STOPS = stopSet(" #\t\n\f\r,");
const HASH = 35;
const SLASH = 47;
const EQUALS = 61;
const COLON = 58;
const COMMA = 44;

/** Parse state for one call; nothing is shared between calls. */
interface Scan {
  text: string;
  source: string | undefined;
  extensions: boolean;
  warnings: HostWarning[];
  /** Current entry: [start, end) in text. */
  start: number;
  end: number;
}

function entryText(scan: Scan): string {
  return scan.text.slice(scan.start, scan.end);
}

function lineAndColumn(text: string, index: number): { line: number; lineColumn: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index; i++) {
    const c = text.charCodeAt(i);
    // distcc treats \r and \n alike; count \r\n as one line break.
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, lineColumn: index - lineStart + 1 };
}

function fail(
  scan: Scan,
  problem: HostSpecProblem,
  what: string,
  at: number,
  expected: string,
  example: string,
): never {
  const { line, lineColumn } = lineAndColumn(scan.text, at);
  // The example must itself be accepted; when the one built from the entry is not (the entry
  // has a second problem), fall back to a plain one.
  if (!isValidExample(example, scan.extensions)) example = FALLBACK_EXAMPLES[problem];
  const past = at >= scan.end ? ` (distcc reads on past the end of the entry)` : "";
  throw new HostSpecError(what + past, {
    problem,
    entry: entryText(scan),
    column: at + 1,
    line,
    lineColumn,
    expected,
    example,
    ...(scan.source !== undefined ? { source: scan.source } : {}),
  });
}

const FALLBACK_EXAMPLES: Record<HostSpecProblem, string> = {
  "bad-limit": "host/4",
  "bad-port": "host:3632",
  "missing-host": "host",
  "unclosed-ipv6": "[::1]:3632",
  "unknown-option": "host,lzo",
  "cpp-without-compression": "host,cpp,lzo",
};

function isValidExample(example: string, extensions: boolean): boolean {
  try {
    return parseHostList(example, { extensions }).warnings.length === 0;
  } catch {
    return false;
  }
}

function warn(scan: Scan, code: HostWarningCode, at: number, message: string): void {
  scan.warnings.push({ code, entry: entryText(scan), column: at + 1, message });
}

/** `dcc_parse_multiplier`: an optional `/N` or `=N` at `at`. */
function parseLimit(scan: Scan, at: number): { next: number; limit: number | undefined } | { badAt: number } {
  const text = scan.text;
  const c = text.charCodeAt(at);
  if (c !== SLASH && c !== EQUALS) return { next: at, limit: undefined };
  const n = strtolInt(text, at + 1);
  if (n.value === 0) return { badAt: at + 1 };
  let next = at + 1;
  while (isDigit(text.charCodeAt(next))) next++;
  if (n.digitsAt >= scan.end) {
    warn(scan, "DISTCC_WARN_READS_PAST_ENTRY", n.digitsAt, `the limit ${n.value} is read from the text after the entry (distcc's atoi skips whitespace)`);
  } else if (n.wrapped) {
    warn(scan, "DISTCC_WARN_LIMIT", at + 1, `'${text.slice(n.digitsAt, n.end)}' does not fit a C int: distcc uses ${n.value}`);
  } else if (n.value < 0) {
    warn(scan, "DISTCC_WARN_LIMIT", at + 1, `negative limit ${n.value}: distcc accepts it, but the host gets no slots`);
  } else if (next !== n.end) {
    warn(scan, "DISTCC_WARN_LIMIT", at + 1, `distcc reads the limit ${n.value} but its scan stops before the number; the rest of the entry is ignored`);
  }
  return { next, limit: n.value };
}

/** `hostPartEnd`: where the text before the limit ends, for the error's example. */
function limitOrFail(scan: Scan, at: number, hostPartEnd: number): { next: number; limit: number | undefined } {
  const r = parseLimit(scan, at);
  if ("badAt" in r) {
    const hostPart = scan.text.slice(scan.start, hostPartEnd);
    fail(scan, "bad-limit", "bad job limit", r.badAt, "a non-zero number of jobs", `${hostPart || "host"}/4`);
  }
  return r;
}

interface ParsedOptions {
  next: number;
  compression: Compression;
  cpp: boolean;
  down: boolean;
  auth: string | true | undefined;
  options: string[];
}

/** `dcc_parse_options`: `,lzo` `,cpp` `,down` `,auth[=NAME]` (+ our `,lz4`), matched by prefix. */
function parseOptions(scan: Scan, at: number): ParsedOptions {
  const text = scan.text;
  const result: ParsedOptions = { next: at, compression: "none", cpp: false, down: false, auth: undefined, options: [] };
  let p = at;
  let cppAt = -1;
  while (text.charCodeAt(p) === COMMA) {
    p++;
    if (startsWithAt(text, p, "lzo")) {
      result.compression = "lzo";
      result.options.push("lzo");
      p += 3;
    } else if (scan.extensions && startsWithAt(text, p, "lz4")) {
      result.compression = "lz4";
      result.options.push("lz4");
      warn(scan, "DISTCC_WARN_EXTENSION", p, "',lz4' is our extension: a real distcc refuses this hosts list");
      p += 3;
    } else if (startsWithAt(text, p, "down")) {
      result.down = true;
      result.options.push("down");
      p += 4;
    } else if (startsWithAt(text, p, "cpp")) {
      result.cpp = true;
      result.options.push("cpp");
      cppAt = p;
      p += 3;
    } else if (startsWithAt(text, p, "auth")) {
      p += 4;
      let auth: string | true = true;
      if (text.charCodeAt(p) === EQUALS) {
        p++;
        const nameEnd = spanUntil(text, p, HOST_STOPS);
        if (nameEnd > p) auth = text.slice(p, nameEnd);
        p = nameEnd;
      }
      result.auth = auth;
      result.options.push(auth === true ? "auth" : `auth=${auth}`);
    } else {
      const wordEnd = spanUntil(text, p, OPTION_WORD_STOPS);
      const word = text.slice(p, wordEnd);
      const known = scan.extensions ? "lzo, lz4, cpp, down or auth[=NAME]" : "lzo, cpp, down or auth[=NAME]";
      fail(scan, "unknown-option", `unknown option ',${word}'`, p, `one of ${known}`, `${text.slice(scan.start, p - 1) || "host"},lzo`);
    }
  }
  if (result.cpp && result.compression === "none") {
    fail(
      scan,
      "cpp-without-compression",
      "pump mode without compression",
      cppAt,
      "',lzo' together with ',cpp' (pump mode needs compression)",
      `${text.slice(scan.start, Math.min(p, scan.end))},lzo`,
    );
  }
  result.next = p;
  return result;
}

function protocolOf(compression: Compression, cpp: boolean): ProtocolVersion {
  if (cpp) return 3;
  return compression === "none" ? 1 : 2;
}

function warnIgnoredTail(scan: Scan, at: number): void {
  if (at < scan.end) {
    warn(scan, "DISTCC_WARN_IGNORED_TEXT", at, `distcc ignores '${scan.text.slice(at, scan.end)}' at the end of the entry`);
  }
}

function warnHostPastEntry(scan: Scan, hostEnd: number, what: string): void {
  if (hostEnd > scan.end) {
    warn(scan, "DISTCC_WARN_READS_PAST_ENTRY", scan.end, `the ${what} runs past the '#': distcc uses '${scan.text.slice(scan.start, hostEnd)}'`);
  }
}

function parseLocal(scan: Scan): HostEntry {
  const r = limitOrFail(scan, scan.start + 9, scan.start + 9);
  warnIgnoredTail(scan, r.next);
  return { kind: "local", spec: entryText(scan), limit: r.limit ?? DEFAULT_LOCALHOST_LIMIT };
}

function parseSsh(scan: Scan): HostEntry {
  const text = scan.text;
  const at = text.indexOf("@", scan.start);
  const user = at > scan.start ? text.slice(scan.start, at) : undefined;
  let p = at + 1;
  const hostEnd = spanUntil(text, p, HOST_STOPS);
  if (hostEnd === p) {
    fail(scan, "missing-host", "missing host name", p, "a host name after '@'", `${text.slice(scan.start, p)}host`);
  }
  const host = text.slice(p, hostEnd);
  warnHostPastEntry(scan, hostEnd, "host name");
  if (host.includes("=")) {
    warn(scan, "DISTCC_WARN_EQUALS_IN_NAME", p, `'${host}' is the host name ('=' does not start a limit here): write /N for a limit`);
  }
  p = hostEnd;
  const limit = limitOrFail(scan, p, p);
  p = limit.next;
  let command: string | undefined;
  if (text.charCodeAt(p) === COLON) {
    p++;
    const commandEnd = spanUntil(text, p, COMMAND_STOPS);
    if (commandEnd > p) command = text.slice(p, commandEnd);
    p = commandEnd;
  }
  const o = parseOptions(scan, p);
  warnIgnoredTail(scan, o.next);
  const entry: HostEntry = {
    kind: "ssh",
    spec: entryText(scan),
    host,
    limit: limit.limit ?? DEFAULT_REMOTE_LIMIT,
    protocol: protocolOf(o.compression, o.cpp),
    compression: o.compression,
    cpp: o.cpp,
    down: o.down,
    options: o.options,
  };
  if (user !== undefined) entry.user = user;
  if (command !== undefined) entry.command = command;
  if (o.auth !== undefined) entry.auth = o.auth;
  return entry;
}

function parseTcp(scan: Scan): HostEntry {
  const text = scan.text;
  let p = scan.start;
  let host: string;
  if (text.charCodeAt(p) === 91 /* [ */) {
    p++;
    const hostEnd = spanUntil(text, p, IPV6_STOPS);
    host = text.slice(p, hostEnd);
    if (text.charCodeAt(hostEnd) !== 93 /* ] */) {
      fail(scan, "unclosed-ipv6", "unclosed IPv6 address", hostEnd, "']' closing the IPv6 address", `[${host || "::1"}]`);
    }
    warnHostPastEntry(scan, hostEnd, "IPv6 address");
    p = hostEnd + 1;
  } else {
    const hostEnd = spanUntil(text, p, HOST_STOPS);
    host = text.slice(p, hostEnd);
    warnHostPastEntry(scan, hostEnd, "host name");
    p = hostEnd;
  }
  if (host === "") {
    const written = entryText(scan);
    // "::1" is an IPv6 address missing its brackets; "/3" or ":3700" a missing name.
    const looksIpv6 = !written.startsWith("[") && written.indexOf(":") !== written.lastIndexOf(":");
    const example = looksIpv6 ? `[${written}]` : `host${written.startsWith("[]") ? written.slice(2) : written}`;
    fail(scan, "missing-host", "missing host name", scan.start, "a host name (IPv6 addresses in brackets)", example);
  }
  if (host.includes("=") && text.charCodeAt(scan.start) !== 91) {
    warn(scan, "DISTCC_WARN_EQUALS_IN_NAME", scan.start, `'${host}' is the host name ('=' does not start a limit here): write /N for a limit`);
  }
  const first = limitOrFail(scan, p, p);
  p = first.next;
  let port = DEFAULT_PORT;
  if (text.charCodeAt(p) === COLON) {
    const colon = p;
    p++;
    const n = strtolInt(text, p);
    const tail = text.charCodeAt(n.end);
    if (n.end < text.length && !isSpace(tail) && tail !== SLASH && tail !== COMMA) {
      fail(scan, "bad-port", "bad port", p, "a number 1-65535", `${text.slice(scan.start, colon)}:${DEFAULT_PORT}`);
    }
    port = n.value;
    if (n.digitsAt >= scan.end) {
      warn(scan, "DISTCC_WARN_READS_PAST_ENTRY", n.digitsAt, `the port ${port} is read from the text after the entry (distcc's strtol skips whitespace)`);
    } else if (port < 1 || port > 65535) {
      const written = n.digitsAt < 0 ? "" : text.slice(n.digitsAt, n.end);
      const what = n.digitsAt < 0 ? "empty port: distcc uses port 0" : n.wrapped ? `port ${written} does not fit a C int: distcc uses ${port}` : `port ${port} is outside 1-65535`;
      warn(scan, "DISTCC_WARN_PORT", p, what);
    }
    p = n.end;
  }
  const second = limitOrFail(scan, p, p);
  p = second.next;
  const o = parseOptions(scan, p);
  warnIgnoredTail(scan, o.next);
  const entry: HostEntry = {
    kind: "tcp",
    spec: entryText(scan),
    host,
    port,
    limit: second.limit ?? first.limit ?? DEFAULT_REMOTE_LIMIT,
    protocol: protocolOf(o.compression, o.cpp),
    compression: o.compression,
    cpp: o.cpp,
    down: o.down,
    options: o.options,
  };
  if (o.auth !== undefined) entry.auth = o.auth;
  return entry;
}

/** `--localslots` / `--localslots_cpp`: true when the entry was consumed as a setting. */
function parseLocalSlots(scan: Scan, list: HostList, keyword: string): boolean {
  const r = parseLimit(scan, scan.start + keyword.length);
  if ("badAt" in r) {
    const becomes = keyword === "--localslots" ? "distcc then reads it as a host name" : "distcc ignores it";
    warn(scan, "DISTCC_WARN_LOCALSLOTS", r.badAt, `${keyword} needs a non-zero number: ${becomes}`);
    return false;
  }
  if (r.limit === undefined) {
    warn(scan, "DISTCC_WARN_LOCALSLOTS", scan.start, `'${entryText(scan)}' has no '=N': distcc ignores it`);
  } else if (keyword === "--localslots") {
    list.localSlots = r.limit;
  } else {
    list.localSlotsCpp = r.limit;
  }
  return true;
}

/** `--randomize*`, `--localslots_cpp*`, `--localslots*`: true when the entry was a setting. */
function parseSetting(scan: Scan, list: HostList): boolean {
  const text = scan.text;
  if (startsWithAt(text, scan.start, "--randomize")) {
    list.randomize = true;
    return true;
  }
  if (startsWithAt(text, scan.start, "--localslots_cpp")) {
    // A bad `--localslots_cpp=0` is then swallowed by the `--localslots` check (no '=' after
    // its 12 characters), so it is never a host: already warned, nothing more to do.
    parseLocalSlots(scan, list, "--localslots_cpp");
    return true;
  }
  return startsWithAt(text, scan.start, "--localslots") && parseLocalSlots(scan, list, "--localslots");
}

function hasAt(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === 64 /* @ */) return true;
  return false;
}

function shuffle(hosts: HostEntry[], random: () => number): HostEntry[] {
  // distcc draws one rand() per host and sorts by it; Array.prototype.sort is stable.
  const keyed = hosts.map((host) => ({ host, key: random() }));
  keyed.sort((a, b) => a.key - b.key);
  return keyed.map((k) => k.host);
}

/**
 * Parse a hosts list (the value of `$DISTCC_HOSTS` or a hosts file) as distcc 3.4 does.
 * Throws HostSpecError where distcc would refuse the whole list. An empty result is not an
 * error here (distcc compiles locally): it carries a DISTCC_WARN_NO_HOSTS warning.
 */
export function parseHostList(input: string, opts: ParseHostListOptions = {}): HostList {
  let text = input;
  const warnings: HostWarning[] = [];
  const nul = text.indexOf("\0");
  if (nul !== -1) {
    text = text.slice(0, nul);
    warnings.push({ code: "DISTCC_WARN_NUL", entry: "", column: nul + 1, message: "a NUL character ends the list for distcc" });
  }
  const scan: Scan = { text, source: opts.source, extensions: opts.extensions ?? true, warnings, start: 0, end: 0 };
  const list: HostList = {
    hosts: [],
    localSlots: DEFAULT_LOCAL_SLOTS,
    localSlotsCpp: DEFAULT_LOCAL_SLOTS_CPP,
    randomize: false,
    zeroconf: false,
    warnings,
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === HASH) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    scan.start = i;
    scan.end = spanUntil(text, i, ENTRY_STOPS);
    i = scan.end;
    const first = text.charCodeAt(scan.start);
    // Keyword checks only when the first character allows one (startsWith is the slow part).
    if (first === 45 /* - */ && parseSetting(scan, list)) continue;
    const length = scan.end - scan.start;
    if (first === 43 /* + */ && length === 9 && startsWithAt(text, scan.start, "+zeroconf")) {
      list.zeroconf = true;
      list.zeroconfIndex = list.hosts.length;
      warn(scan, "DISTCC_WARN_ZEROCONF", scan.start, "+zeroconf: hosts must be discovered over mDNS (_distcc._tcp)");
      continue;
    }
    if (first === 108 /* l */ && startsWithAt(text, scan.start, "localhost") && (length === 9 || text.charCodeAt(scan.start + 9) === SLASH)) {
      list.hosts.push(parseLocal(scan));
    } else if (hasAt(text, scan.start, scan.end)) {
      list.hosts.push(parseSsh(scan));
    } else {
      list.hosts.push(parseTcp(scan));
    }
  }
  if (list.hosts.length === 0 && !list.zeroconf) {
    const where = opts.source ?? "the hosts list";
    warnings.push({ code: "DISTCC_WARN_NO_HOSTS", entry: "", column: 0, message: `${where} contains no hosts: distcc compiles everything locally` });
  }
  if (list.randomize && list.hosts.length > 1) {
    list.hosts = shuffle(list.hosts, opts.random ?? Math.random);
  }
  return list;
}
