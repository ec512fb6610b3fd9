// `dcc_parse_options`: the `,OPTION` list after a host, matched by prefix like distcc does.
import { spanUntil, startsWithAt } from "./cstring.js";
import { COMMA, EQUALS, HOST_STOPS, OPTION_WORD_STOPS, fail, warn, type Scan } from "./scan.js";
import type { Compression, ProtocolVersion } from "./types.js";

export interface ParsedOptions {
  next: number;
  compression: Compression;
  cpp: boolean;
  down: boolean;
  auth: string | true | undefined;
  options: string[];
}

/** `dcc_parse_options`: `,lzo` `,cpp` `,down` `,auth[=NAME]` (+ our `,lz4`), matched by prefix. */
export function parseOptions(scan: Scan, at: number): ParsedOptions {
  const text = scan.text;
  const result: ParsedOptions = {
    next: at,
    compression: "none",
    cpp: false,
    down: false,
    auth: undefined,
    options: [],
  };
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
      fail(
        scan,
        "unknown-option",
        `unknown option ',${word}'`,
        p,
        `one of ${known}`,
        `${text.slice(scan.start, p - 1) || "host"},lzo`,
      );
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

export function protocolOf(compression: Compression, cpp: boolean): ProtocolVersion {
  if (cpp) return 3;
  return compression === "none" ? 1 : 2;
}
