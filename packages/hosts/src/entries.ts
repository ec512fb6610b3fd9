// The three kinds of entry: bare `localhost[/N]`, `[USER]@HOST...` (ssh) and everything else (TCP).
// Like distcc's parsers they read from the entry's start through the rest of the text.
import { isSpace, spanUntil, strtolInt } from "./cstring.js";
import { limitOrFail } from "./limit.js";
import { parseOptions, protocolOf } from "./options.js";
import {
  COLON,
  COMMA,
  COMMAND_STOPS,
  HOST_STOPS,
  IPV6_STOPS,
  SLASH,
  entryText,
  fail,
  warn,
  warnIgnoredTail,
  type Scan,
} from "./scan.js";
import { DEFAULT_LOCALHOST_LIMIT, DEFAULT_PORT, DEFAULT_REMOTE_LIMIT, type HostEntry } from "./types.js";

function warnHostPastEntry(scan: Scan, hostEnd: number, what: string): void {
  if (hostEnd > scan.end) {
    warn(
      scan,
      "DISTCC_WARN_READS_PAST_ENTRY",
      scan.end,
      `the ${what} runs past the '#': distcc uses '${scan.text.slice(scan.start, hostEnd)}'`,
    );
  }
}

export function parseLocal(scan: Scan): HostEntry {
  const r = limitOrFail(scan, scan.start + 9, scan.start + 9);
  warnIgnoredTail(scan, r.next);
  return { kind: "local", spec: entryText(scan), limit: r.limit ?? DEFAULT_LOCALHOST_LIMIT };
}

export function parseSsh(scan: Scan): HostEntry {
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
    warn(
      scan,
      "DISTCC_WARN_EQUALS_IN_NAME",
      p,
      `'${host}' is the host name ('=' does not start a limit here): write /N for a limit`,
    );
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

export function parseTcp(scan: Scan): HostEntry {
  const text = scan.text;
  let p = scan.start;
  let host: string;
  if (text.charCodeAt(p) === 91 /* [ */) {
    p++;
    const hostEnd = spanUntil(text, p, IPV6_STOPS);
    host = text.slice(p, hostEnd);
    if (text.charCodeAt(hostEnd) !== 93 /* ] */) {
      fail(
        scan,
        "unclosed-ipv6",
        "unclosed IPv6 address",
        hostEnd,
        "']' closing the IPv6 address",
        `[${host || "::1"}]`,
      );
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
  // (`--localslots=0` as a host already has its own warning.)
  if (host.includes("=") && text.charCodeAt(scan.start) !== 91 && !host.startsWith("--localslots")) {
    warn(
      scan,
      "DISTCC_WARN_EQUALS_IN_NAME",
      scan.start,
      `'${host}' is the host name ('=' does not start a limit here): write /N for a limit`,
    );
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
      warn(
        scan,
        "DISTCC_WARN_READS_PAST_ENTRY",
        n.digitsAt,
        `the port ${port} is read from the text after the entry (distcc's strtol skips whitespace)`,
      );
    } else if (port < 1 || port > 65535) {
      const written = n.digitsAt < 0 ? "" : text.slice(n.digitsAt, n.end);
      const what =
        n.digitsAt < 0
          ? "empty port: distcc uses port 0"
          : n.wrapped
            ? `port ${written} does not fit a C int: distcc uses ${port}`
            : `port ${port} is outside 1-65535`;
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
