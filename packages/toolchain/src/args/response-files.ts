// `@file` response files, expanded the way libiberty's `expandargv` does (Debian's distcc links it
// in and expands before scanning, so the wire never carries `@file`).
import { DistccError } from "@x/distcc-errors";
import type { ToolchainErrorCode } from "../errors.js";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

/** libiberty stops after this many expansions (a file that includes itself). */
const MAX_RESPONSE_FILE_EXPANSIONS = 2000;

export class ResponseFileError extends DistccError<ToolchainErrorCode> {
  constructor(readonly file: string) {
    super(
      "DISTCC_ERR_RESPONSE_FILE_LOOP",
      `@-expansion of '${file}' exceeded ${MAX_RESPONSE_FILE_EXPANSIONS} files: ` +
        `a response file probably names itself (check the @ lines in it)`,
    );
  }
}

export type ReadTextFile = (path: string) => string;

export const defaultReadFile: ReadTextFile = (path) => readFileSync(path, "utf8");

// C's isspace() in the "C" locale.
function isSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r";
}

function onlyWhitespace(text: string): boolean {
  for (const ch of text) if (!isSpace(ch)) return false;
  return true;
}

/**
 * Split a response file's text into words (libiberty `buildargv`): whitespace separates words;
 * `'…'` and `"…"` quote; a backslash takes the next character literally, even inside quotes.
 * A file that is empty or only whitespace gives no words.
 */
export function splitResponseFile(text: string): string[] {
  // Text after a NUL is invisible to the C code, which reads the file into a C string.
  const nul = text.indexOf("\0");
  if (nul >= 0) text = text.slice(0, nul);
  if (onlyWhitespace(text)) return [];
  const words: string[] = [];
  let i = 0;
  const n = text.length;
  do {
    while (i < n && isSpace(text[i]!)) i++;
    let word = "";
    let squote = false;
    let dquote = false;
    let bsquote = false;
    while (i < n) {
      const ch = text[i]!;
      if (isSpace(ch) && !squote && !dquote && !bsquote) break;
      if (bsquote) {
        bsquote = false;
        word += ch;
      } else if (ch === "\\") {
        bsquote = true;
      } else if (squote) {
        if (ch === "'") squote = false;
        else word += ch;
      } else if (dquote) {
        if (ch === '"') dquote = false;
        else word += ch;
      } else if (ch === "'") {
        squote = true;
      } else if (ch === '"') {
        dquote = true;
      } else {
        word += ch;
      }
      i++;
    }
    words.push(word);
    while (i < n && isSpace(text[i]!)) i++;
  } while (i < n);
  return words;
}

/**
 * Replace every `@file` argument (argv[0] excluded) by the words of that file, recursively: words
 * read from a file are themselves expanded. A file that cannot be read (missing, a directory) leaves
 * the `@file` word as it is, like libiberty. Relative names resolve against `cwd`.
 */
export function expandResponseFiles(
  argv: readonly string[],
  readFile: ReadTextFile = defaultReadFile,
  cwd: string = process.cwd(),
): string[] {
  // Fast path: most command lines have no response file.
  let any = false;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i]!.charCodeAt(0) === 64 /* @ */) {
      any = true;
      break;
    }
  }
  if (!any) return argv.slice();

  const out = argv.slice();
  let expansions = 0;
  for (let i = 1; i < out.length; i++) {
    const arg = out[i]!;
    if (arg.charCodeAt(0) !== 64) continue;
    const name = arg.slice(1);
    let text: string;
    try {
      text = readFile(resolve(cwd, name));
    } catch (error) {
      // The ReadTextFile contract: a throw leaves the word as it is, as gcc leaves an `@file` it
      // cannot read as an ordinary argument. Say so for a programming error rather than hide it.
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      continue;
    }
    if (++expansions >= MAX_RESPONSE_FILE_EXPANSIONS) throw new ResponseFileError(name);
    out.splice(i, 1, ...splitResponseFile(text));
    i--; // the first inserted word may itself be an @file
  }
  return out;
}
