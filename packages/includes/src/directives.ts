// The preprocessor directives of one file that decide which other files a compile reads: the
// includes (with their operand), every `__has_include` probe, `#pragma GCC dependency`, and the
// macro definitions that a computed include may need. Conditionals are deliberately not evaluated:
// the analysis wants a superset of what cpp reads, and every branch's includes are in that superset.

/** How the compile names an included file. */
export type IncludeOperand =
  | { form: "quote"; name: string }
  | { form: "angle"; name: string }
  /** A macro (or macros) that expands to one of the two forms above: evaluated later. */
  | { form: "computed"; text: string };

export type IncludeKind = "include" | "include_next" | "import" | "has_include" | "has_include_next" | "dependency";

export interface IncludeDirective {
  kind: IncludeKind;
  operand: IncludeOperand;
  /** 1-based line of the directive's `#`. */
  line: number;
}

export interface MacroDefinition {
  name: string;
  /** Parameter names of a function-like macro; absent for an object-like one. */
  params?: string[];
  body: string;
}

export interface FileDirectives {
  includes: IncludeDirective[];
  defines: MacroDefinition[];
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_CHAR = /[A-Za-z0-9_$]/;
const RAW_PREFIXES = new Set(["R", "u8R", "uR", "UR", "LR"]);

/** The identifier that ends right before position i ("" when none). */
function identifierBefore(text: string, i: number): string {
  let j = i;
  while (j > 0 && IDENT_CHAR.test(text[j - 1]!)) j--;
  return text.slice(j, i);
}

/**
 * Reads the directives of a C/C++ source or header. Handles line splices, both comment forms,
 * string and character literals (so a `/*` or `#` inside one is not taken for syntax), C++ raw
 * strings and pp-numbers with digit separators. Linear in the text's length.
 */
export function scanDirectives(text: string): FileDirectives {
  const out: FileDirectives = { includes: [], defines: [] };
  const n = text.length;
  let i = 0;
  let line = 1;
  let atLineStart = true;

  /** Skips a backslash-newline splice at i, if any; returns true when it did. */
  const splice = (): boolean => {
    if (text.charCodeAt(i) !== 92 /* \ */) return false;
    let j = i + 1;
    // gcc accepts whitespace between the backslash and the newline (with a warning).
    while (j < n && (text[j] === " " || text[j] === "\t")) j++;
    if (text[j] === "\r" && text[j + 1] === "\n") j++;
    if (text[j] !== "\n") return false;
    i = j + 1;
    line++;
    return true;
  };

  /** Skips a block comment starting at i (at the slash); counts its newlines. */
  const skipBlockComment = (): void => {
    i += 2;
    while (i < n) {
      const c = text[i];
      if (c === "*" && text[i + 1] === "/") {
        i += 2;
        return;
      }
      if (c === "\n") line++;
      i++;
    }
  };

  /** Skips a quoted literal starting at i (at the quote); stops at an unescaped newline as cpp does. */
  const skipQuoted = (quote: string): void => {
    i++;
    while (i < n) {
      if (splice()) continue;
      const c = text[i];
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === quote) {
        i++;
        return;
      }
      if (c === "\n") return;
      i++;
    }
  };

  /** Skips a C++ raw string `R"delim( ... )delim"` starting at the quote. */
  const skipRawString = (): void => {
    const open = text.indexOf("(", i + 1);
    if (open < 0 || open - i - 1 > 16) {
      skipQuoted('"');
      return;
    }
    const delim = text.slice(i + 1, open);
    if (/[\s()\\]/.test(delim)) {
      skipQuoted('"');
      return;
    }
    const close = text.indexOf(`)${delim}"`, open + 1);
    const end = close < 0 ? n : close + delim.length + 2;
    for (let k = i; k < end; k++) if (text[k] === "\n") line++;
    i = end;
  };

  /** Reads the logical line of a directive from i (just past the `#`): splices joined, comments as spaces. */
  const readDirectiveLine = (): string => {
    let s = "";
    while (i < n) {
      if (splice()) continue;
      const c = text[i]!;
      if (c === "\n") break;
      if (c === "/" && text[i + 1] === "*") {
        skipBlockComment();
        s += " ";
        continue;
      }
      if (c === "/" && text[i + 1] === "/") {
        while (i < n && text[i] !== "\n") {
          if (!splice()) i++;
        }
        break;
      }
      if (c === '"' || c === "'") {
        // Copied without its splices; a header name holds no escapes, so a backslash is kept as is.
        s += c;
        i++;
        while (i < n) {
          if (splice()) continue;
          const q = text[i]!;
          if (q === "\n") break;
          s += q;
          i++;
          if (q === c) break;
          if (q === "\\" && text[i] !== "\n" && !splice()) s += text[i++] ?? "";
        }
        continue;
      }
      s += c;
      i++;
    }
    return s;
  };

  while (i < n) {
    if (splice()) continue;
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\r") {
      i++;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      skipBlockComment();
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") {
        if (!splice()) i++;
      }
      continue;
    }
    if (c === "#" && atLineStart) {
      const at = line;
      i++;
      readDirective(readDirectiveLine(), at, out);
      atLineStart = false;
      continue;
    }
    atLineStart = false;
    if (c === '"') {
      if (RAW_PREFIXES.has(identifierBefore(text, i))) skipRawString();
      else skipQuoted('"');
      continue;
    }
    if (c === "'") {
      skipQuoted("'");
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      // A pp-number: digit separators (1'000) and exponents (1e+5) belong to it.
      i++;
      while (i < n) {
        const d = text[i]!;
        if ((d === "e" || d === "E" || d === "p" || d === "P") && (text[i + 1] === "+" || text[i + 1] === "-")) i += 2;
        else if (d === "'" && IDENT_CHAR.test(text[i + 1] ?? "")) i += 2;
        else if (IDENT_CHAR.test(d) || d === ".") i++;
        else break;
      }
      continue;
    }
    if (IDENT_START.test(c)) {
      i++;
      while (i < n && IDENT_CHAR.test(text[i]!)) i++;
      continue;
    }
    i++;
  }
  return out;
}

/** Parses `"name"`, `<name>` or macro text at the start of s. */
function parseOperand(s: string): IncludeOperand | undefined {
  const t = s.trim();
  if (t.startsWith('"')) {
    const end = t.indexOf('"', 1);
    return end > 1 ? { form: "quote", name: t.slice(1, end) } : undefined;
  }
  if (t.startsWith("<")) {
    const end = t.indexOf(">", 1);
    return end > 1 ? { form: "angle", name: t.slice(1, end) } : undefined;
  }
  return t ? { form: "computed", text: t } : undefined;
}

const HAS_INCLUDE = /\b__has_include(_next)?\b\s*\(/g;

/** Every `__has_include(...)` operand on a directive line (in `#if`, `#elif`, or a macro's body). */
function hasIncludeProbes(body: string, line: number, out: FileDirectives): void {
  HAS_INCLUDE.lastIndex = 0;
  for (let m = HAS_INCLUDE.exec(body); m; m = HAS_INCLUDE.exec(body)) {
    // The operand runs to the matching parenthesis; a header name may itself hold parentheses.
    let depth = 1;
    let j = m.index + m[0].length;
    const start = j;
    let inHeader: string | undefined;
    for (; j < body.length && depth > 0; j++) {
      const ch = body[j];
      if (inHeader) {
        if (ch === inHeader) inHeader = undefined;
        continue;
      }
      if (ch === '"') inHeader = '"';
      else if (ch === "<" && body.slice(start, j).trim() === "") inHeader = ">";
      else if (ch === "(") depth++;
      else if (ch === ")") depth--;
    }
    const operand = parseOperand(body.slice(start, depth === 0 ? j - 1 : j));
    if (operand) out.includes.push({ kind: m[1] ? "has_include_next" : "has_include", operand, line });
  }
}

function readDirective(lineText: string, line: number, out: FileDirectives): void {
  const m = /^\s*([A-Za-z_]+)/.exec(lineText);
  if (!m) return;
  const name = m[1]!;
  const rest = lineText.slice(m[0].length);
  switch (name) {
    case "include":
    case "include_next":
    case "import": {
      const operand = parseOperand(rest);
      if (operand) out.includes.push({ kind: name, operand, line });
      hasIncludeProbes(rest, line, out);
      return;
    }
    case "define": {
      const d = /^\s*([A-Za-z_$][A-Za-z0-9_$]*)(\([^)]*\))?/.exec(rest);
      if (!d) return;
      const params = d[2]
        ?.slice(1, -1)
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "");
      const body = rest.slice(d[0].length).trim();
      out.defines.push(params ? { name: d[1]!, params, body } : { name: d[1]!, body });
      hasIncludeProbes(body, line, out);
      return;
    }
    case "pragma": {
      // `#pragma GCC dependency "file"`: cpp opens the file to compare dates (an error if missing).
      const p = /^\s*GCC\s+dependency\s+(.*)$/.exec(rest);
      const operand = p ? parseOperand(p[1]!) : undefined;
      if (operand && operand.form !== "computed") out.includes.push({ kind: "dependency", operand, line });
      return;
    }
    default:
      hasIncludeProbes(rest, line, out);
  }
}
