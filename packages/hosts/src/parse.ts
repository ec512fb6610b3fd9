// A transcription of distcc 3.4's `dcc_parse_hosts` (src/hosts.c) over a JS string. The quirks are
// deliberate: the per-entry parsers read the whole remaining text, not just the entry, so a value
// can come from past a `#` or from the next entry (`a/ 5`). We follow distcc and warn instead.
import { HostSpecError } from "./errors.js";
import { isSpace, spanUntil, startsWithAt } from "./cstring.js";
import { parseLocal, parseSsh, parseTcp } from "./entries.js";
import { ENTRY_STOPS, SLASH, warn, type Scan } from "./scan.js";
import { parseSetting } from "./settings.js";
import {
  DEFAULT_LOCAL_SLOTS,
  DEFAULT_LOCAL_SLOTS_CPP,
  type HostEntry,
  type HostList,
  type HostWarning,
  type ParseHostListOptions,
} from "./types.js";

const HASH = 35;

function isValidExample(example: string, extensions: boolean): boolean {
  try {
    return parseHostList(example, { extensions }).warnings.length === 0;
  } catch (e) {
    if (e instanceof HostSpecError) return false;
    throw e;
  }
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
    warnings.push({
      code: "DISTCC_WARN_NUL",
      entry: "",
      column: nul + 1,
      message: "a NUL character ends the list for distcc",
    });
  }
  const extensions = opts.extensions ?? true;
  const scan: Scan = {
    text,
    source: opts.source,
    extensions,
    warnings,
    start: 0,
    end: 0,
    tailExplained: false,
    isValidExample: (example) => isValidExample(example, extensions),
  };
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
    scan.tailExplained = false;
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
    if (
      first === 108 /* l */ &&
      startsWithAt(text, scan.start, "localhost") &&
      (length === 9 || text.charCodeAt(scan.start + 9) === SLASH)
    ) {
      list.hosts.push(parseLocal(scan));
    } else if (hasAt(text, scan.start, scan.end)) {
      list.hosts.push(parseSsh(scan));
    } else {
      list.hosts.push(parseTcp(scan));
    }
  }
  if (list.hosts.length === 0 && !list.zeroconf) {
    const where = opts.source ?? "the hosts list";
    warnings.push({
      code: "DISTCC_WARN_NO_HOSTS",
      entry: "",
      column: 0,
      message: `${where} contains no hosts: distcc compiles everything locally`,
    });
  }
  if (list.randomize && list.hosts.length > 1) {
    list.hosts = shuffle(list.hosts, opts.random ?? Math.random);
  }
  return list;
}
