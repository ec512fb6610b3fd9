// `dcc_parse_multiplier`: the `/N` or `=N` job limit, read with atoi's quirks.
import { isDigit, strtolInt } from "./cstring.js";
import { EQUALS, SLASH, fail, warn, type Scan } from "./scan.js";

/** `dcc_parse_multiplier`: an optional `/N` or `=N` at `at`. */
export function parseLimit(scan: Scan, at: number): { next: number; limit: number | undefined } | { badAt: number } {
  const text = scan.text;
  const c = text.charCodeAt(at);
  if (c !== SLASH && c !== EQUALS) return { next: at, limit: undefined };
  const n = strtolInt(text, at + 1);
  if (n.value === 0) return { badAt: at + 1 };
  let next = at + 1;
  while (isDigit(text.charCodeAt(next))) next++;
  if (n.digitsAt >= scan.end) {
    warn(
      scan,
      "DISTCC_WARN_READS_PAST_ENTRY",
      n.digitsAt,
      `the limit ${n.value} is read from the text after the entry (distcc's atoi skips whitespace)`,
    );
    return { next, limit: n.value };
  }
  const problems: string[] = [];
  if (n.wrapped) problems.push(`'${text.slice(n.digitsAt, n.end)}' does not fit a C int: distcc uses ${n.value}`);
  else if (n.value < 0) problems.push(`negative limit ${n.value}: distcc accepts it, but the host gets no slots`);
  if (next !== n.end) {
    // atoi skipped a sign or a \v that distcc's own scan does not: it stops right after the '/'.
    const rest = text.slice(n.end, scan.end);
    scan.tailExplained = true;
    if (rest !== "") {
      problems.push(
        `distcc reads ${n.value} but its scan stays at the '${text[at]}', so it ignores '${rest}' after it`,
      );
    } else if (n.value > 0) {
      problems.push(`'${text.slice(at + 1, n.end)}' is read as ${n.value}`);
    }
  }
  if (problems.length > 0) warn(scan, "DISTCC_WARN_LIMIT", at + 1, problems.join("; "));
  return { next, limit: n.value };
}

/** `hostPartEnd`: where the text before the limit ends, for the error's example. */
export function limitOrFail(scan: Scan, at: number, hostPartEnd: number): { next: number; limit: number | undefined } {
  const r = parseLimit(scan, at);
  if ("badAt" in r) {
    const hostPart = scan.text.slice(scan.start, hostPartEnd);
    fail(scan, "bad-limit", "bad job limit", r.badAt, "a non-zero number of jobs", `${hostPart || "host"}/4`);
  }
  return r;
}
