// Directives in a preprocessed input that would make the server's compiler open a file. gcc compiles
// a plain .i without acting on `#include` ("stray '#'"), but with `-fdirectives-only` (our client's
// cheaper preprocessing) it does act on it, and clang always does: `#include "/etc/passwd"` in the
// text sent would read the helper's file and show its lines in the errors. A real client's
// preprocessed output holds no such directive (the client resolved them all, and every #if with
// them), so the server refuses text that has one: `#include`, `#include_next`, `#import`, `#embed`,
// and `#if`/`#elif` (where `__has_include` tests for a file), written with `#`, `%:` or `??=`, after
// blanks, comments and line splices. Also refused anywhere: the `dependency` and `pch_preprocess`
// pragmas, which open a file named in the text.
//
// Directives-only output keeps comments, and glibc's hold lines such as `#if __GNUC_PREREQ (2,8)`:
// a directive inside a block comment is skipped, but only a comment the compiler certainly sees as
// one (see commentRanges). Where unsure we look inside, so a trick can only cause a false alarm,
// which costs a local compile.

const OPENING: ReadonlySet<string> = new Set([
  "include",
  "include_next",
  "import",
  "embed",
  "if",
  "elif",
  "elifdef",
  "elifndef",
]);

const NL = 10;
const HASH = 35;

function isBlank(c: number | undefined): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 13;
}

function isIdentifier(c: number | undefined): boolean {
  return c !== undefined && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95);
}

/** Length of the line splice at `p` (backslash or `??/`, blanks, newline), or 0. */
function spliceAt(buf: Buffer, p: number): number {
  let q: number;
  if (buf[p] === 92) q = p + 1;
  else if (buf[p] === 63 && buf[p + 1] === 63 && buf[p + 2] === 47) q = p + 3;
  else return 0;
  while (isBlank(buf[q]) && buf[q] !== 13) q++;
  if (buf[q] === 13) q++;
  return buf[q] === NL ? q + 1 - p : 0;
}

/** The text with every line splice removed (gcc's phase 2), or the same buffer when it has none. */
function spliced(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  const visit = (at: number): void => {
    const n = spliceAt(buf, at);
    if (n === 0) return;
    parts.push(buf.subarray(from, at));
    from = at + n;
  };
  for (let at = buf.indexOf(92); at >= 0; at = buf.indexOf(92, Math.max(at + 1, from))) visit(at);
  for (let at = buf.indexOf("??/"); at >= 0; at = buf.indexOf("??/", at + 3)) {
    if (spliceAt(buf, at) > 0) return splicedSlowly(buf);
  }
  if (parts.length === 0) return buf;
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

// Trigraph splices are rare enough (and only an attack) to take the simple way.
function splicedSlowly(buf: Buffer): Buffer {
  return Buffer.from(buf.toString("latin1").replace(/(?:\\|\?\?\/)[ \t\v\f]*\r?\n/g, ""), "latin1");
}

/** Skips blanks and whole comments from `p` (a comment may span lines); returns the next position. */
function skipSpace(buf: Buffer, p: number): number {
  for (;;) {
    while (isBlank(buf[p])) p++;
    if (buf[p] === 47 && buf[p + 1] === 42) {
      const close = buf.indexOf("*/", p + 2);
      if (close < 0) return buf.length;
      p = close + 2;
      continue;
    }
    return p;
  }
}

/** The directive name when a directive introducer starts at `p` (after skipSpace), else undefined. */
function directiveAt(buf: Buffer, p: number): string | undefined {
  let q: number;
  if (buf[p] === HASH) q = p + 1;
  else if (buf[p] === 37 && buf[p + 1] === 58)
    q = p + 2; // %:
  else if (buf[p] === 63 && buf[p + 1] === 63 && buf[p + 2] === 61)
    q = p + 3; // ??=
  else return undefined;
  q = skipSpace(buf, q);
  let end = q;
  while (end - q < 16 && isIdentifier(buf[end])) end++;
  return buf.toString("latin1", q, end);
}

// After `R"`: a delimiter of up to 16 characters (any but blanks, parentheses and backslash), then `(`.
function rawDelimiterAt(buf: Buffer, p: number): boolean {
  for (let q = p; q <= p + 16 && q < buf.length; q++) {
    const c = buf[q]!;
    if (c === 40) return true; // (
    if (c === 32 || c === 41 || c === 92 || (c >= 9 && c <= 13)) return false;
  }
  return false;
}

/** Whether the text may hold a raw string literal (`R"x(`, also with a u8/u/U/L prefix). */
function hasRawString(buf: Buffer): boolean {
  for (let at = buf.indexOf('R"'); at >= 0; at = buf.indexOf('R"', at + 2)) {
    let p = at - 1;
    if (buf[p] === 56 && buf[p - 1] === 117)
      p -= 2; // u8
    else if (buf[p] === 117 || buf[p] === 85 || buf[p] === 76) p--; // u U L
    if (p >= 0 && isIdentifier(buf[p])) continue;
    if (rawDelimiterAt(buf, at + 2)) return true;
  }
  return false;
}

/** A `dependency` or `pch_preprocess` pragma (also through _Pragma), which opens the file it names. */
function filePragma(buf: Buffer): string | undefined {
  if (buf.includes("pch_preprocess")) return "#pragma GCC pch_preprocess";
  for (let at = buf.indexOf("dependency"); at >= 0; at = buf.indexOf("dependency", at + 10)) {
    let p = at - 1;
    while (p >= 0 && isBlank(buf[p])) p--;
    if (buf[p] === 67 && buf[p - 1] === 67 && buf[p - 2] === 71) return "#pragma GCC dependency"; // GCC
  }
  return undefined;
}

export interface FileDirectiveOptions {
  /**
   * Whether the compile acts on `#include` in its input: true (the default) for gcc with
   * `-fdirectives-only` and for clang; false for gcc compiling preprocessed text, which still
   * acts on the two pragmas, so only they are looked for (a few Buffer searches, no copy).
   */
  directives?: boolean;
}

const QUICK_SIGNS = ["pch_preprocess", "dependency", "\\\n", "\\\r", "\\ ", "\\\t", "??/"];

/**
 * The first directive in preprocessed text that opens a file (or tests for one), e.g. `#include`,
 * or undefined when there is none.
 */
export function fileOpeningDirective(bytes: Uint8Array, opts: FileDirectiveOptions = {}): string | undefined {
  const raw = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (opts.directives === false && !QUICK_SIGNS.some((sign) => raw.includes(sign))) return undefined;
  const buf = spliced(raw);
  const pragma = filePragma(buf);
  if (pragma || opts.directives === false) return pragma;
  // One pass over the bytes. Candidates are every line start and every point after a comment's
  // end (`/*\n*/ #include` is a directive). A block comment is skipped only when the compiler
  // certainly sees it as one: nothing before its `/*` on that line could have opened a literal or
  // a line comment (no `"`, `'` or `//`; plain literals cannot span lines), and the text has no raw
  // string (`R"(` can span lines and hold a `/*`). Elsewhere `/*` is read as code, so a trick can
  // only cause a false alarm.
  const trustComments = !hasRawString(buf);
  let unsure = false;
  let lineStart = true;
  const n = buf.length;
  // A plain Uint8Array view: V8 reads its bytes much faster in a hot loop than through Buffer.
  const bytesView = new Uint8Array(buf.buffer, buf.byteOffset, n);
  for (let i = 0; i < n; i++) {
    if (lineStart) {
      lineStart = false;
      unsure = false;
      const name = directiveAt(buf, skipSpace(buf, i));
      if (name !== undefined && OPENING.has(name)) return `#${name}`;
    }
    const ch = bytesView[i]!;
    if (ch === NL) {
      lineStart = true;
    } else if (ch === 34 || ch === 39) {
      unsure = true;
    } else if (ch === 47) {
      const next = bytesView[i + 1];
      if (next === 47) unsure = true;
      else if (next === 42 && trustComments && !unsure) {
        const close = buf.indexOf("*/", i + 2);
        if (close < 0) return undefined;
        i = close + 1; // the loop's i++ steps past the '/'
        const name = directiveAt(buf, skipSpace(buf, close + 2));
        if (name !== undefined && OPENING.has(name)) return `#${name}`;
      }
    } else if (ch === 42 && bytesView[i + 1] === 47) {
      // A `*/` outside a trusted comment: what follows may start a directive.
      const name = directiveAt(buf, skipSpace(buf, i + 2));
      if (name !== undefined && OPENING.has(name)) return `#${name}`;
    }
  }
  return undefined;
}
