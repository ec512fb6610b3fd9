// The entries that are settings, not hosts: `--randomize`, `--localslots`, `--localslots_cpp`.
import { startsWithAt } from "./cstring.js";
import { parseLimit } from "./limit.js";
import { entryText, warn, type Scan } from "./scan.js";
import type { HostList } from "./types.js";

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
export function parseSetting(scan: Scan, list: HostList): boolean {
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
