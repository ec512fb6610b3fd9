// The state of one parseHostList call and the helpers every entry parser shares: where the
// current entry is, how to refuse it (HostSpecError) and how to warn about it.
import { HostSpecError, type HostSpecProblem } from "./errors.js";
import { stopSet } from "./cstring.js";
import type { HostWarning, HostWarningCode } from "./types.js";

/** Characters that end an entry (note: not \v, which distcc skips between entries only). */
export const ENTRY_STOPS = stopSet(" #\t\n\f\r");
/** What ends a host name, an SSH host or an `auth=` name (`dcc_dup_part` separators). */
export const HOST_STOPS = stopSet("/: \t\n\r\f,");
export const IPV6_STOPS = stopSet("/] \t\n\r\f,");
export const COMMAND_STOPS = stopSet(" \t\n\r\f,");
export const OPTION_WORD_STOPS = stopSet(" #\t\n\f\r,");
export const SLASH = 47;
export const EQUALS = 61;
export const COLON = 58;
export const COMMA = 44;

/** Parse state for one call; nothing is shared between calls. */
export interface Scan {
  text: string;
  source: string | undefined;
  extensions: boolean;
  warnings: HostWarning[];
  /** Current entry: [start, end) in text. */
  start: number;
  end: number;
  /** A warning already said why the rest of the current entry is ignored. */
  tailExplained: boolean;
  /** True when an example line is accepted without warnings (examples in errors must be). */
  isValidExample: (example: string) => boolean;
}

export function entryText(scan: Scan): string {
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

const FALLBACK_EXAMPLES: Record<HostSpecProblem, string> = {
  "bad-limit": "host/4",
  "bad-port": "host:3632",
  "missing-host": "host",
  "unclosed-ipv6": "[::1]:3632",
  "unknown-option": "host,lzo",
  "cpp-without-compression": "host,cpp,lzo",
};

/** Refuse the list because of the current entry; `at` is the offending index in the text. */
export function fail(
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
  const valid = scan.isValidExample(example) ? example : FALLBACK_EXAMPLES[problem];
  const past = at > scan.end ? ` (distcc reads on past the end of the entry)` : "";
  throw new HostSpecError(what + past, {
    problem,
    entry: entryText(scan),
    column: at + 1,
    line,
    lineColumn,
    expected,
    example: valid,
    ...(scan.source !== undefined ? { source: scan.source } : {}),
  });
}

export function warn(scan: Scan, code: HostWarningCode, at: number, message: string): void {
  scan.warnings.push({ code, entry: entryText(scan), column: at + 1, message });
}

export function warnIgnoredTail(scan: Scan, at: number): void {
  if (at < scan.end && !scan.tailExplained) {
    warn(
      scan,
      "DISTCC_WARN_IGNORED_TEXT",
      at,
      `distcc ignores '${scan.text.slice(at, scan.end)}' at the end of the entry`,
    );
  }
}
