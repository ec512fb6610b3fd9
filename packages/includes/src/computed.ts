// Computed includes (`#include MACRO`, `#include STR(PATH/x.h)`): the operand is macro-expanded as
// cpp would, but without evaluating conditionals, so a macro may have several definitions (one per
// branch). Like distcc's include server, every combination of the definitions seen is tried and
// each one that yields a header name is a candidate; past a bound, the analysis gives up.
import { DistccError } from "@x/distcc-errors";
import type { IncludesErrorCode } from "./errors.js";
import type { IncludeOperand, MacroDefinition } from "./directives.js";

interface Token {
  text: string;
  kind: "ident" | "number" | "string" | "punct";
  /** Whitespace before it (matters for stringification and `<...>` names built from tokens). */
  space: boolean;
}

/** More alternatives than this and the operand counts as unknowable. */
const MAX_ALTERNATIVES = 256;
const MAX_DEPTH = 64;

export class TooManyAlternatives extends DistccError<IncludesErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_INCLUDES_ERR_COMPUTED", message, options);
  }
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let space = false;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      space = true;
      i++;
      continue;
    }
    let j = i + 1;
    let kind: Token["kind"] = "punct";
    if (/[A-Za-z_$]/.test(c)) {
      while (j < text.length && /[A-Za-z0-9_$]/.test(text[j]!)) j++;
      kind = "ident";
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[j] ?? ""))) {
      while (j < text.length && /[A-Za-z0-9_.']/.test(text[j]!)) j++;
      kind = "number";
    } else if (c === '"' || c === "'") {
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      j++;
      kind = "string";
    } else if (text.startsWith("##", i)) j = i + 2;
    out.push({ text: text.slice(i, j), kind, space });
    space = false;
    i = j;
  }
  return out;
}

export type MacroTable = ReadonlyMap<string, readonly MacroDefinition[]>;

/** Every expansion of `tokens` under the definitions (one list of tokens per combination). */
function expand(tokens: readonly Token[], macros: MacroTable, disabled: ReadonlySet<string>, depth: number): Token[][] {
  if (depth > MAX_DEPTH) throw new TooManyAlternatives("macro expansion nests too deeply");
  let results: Token[][] = [[]];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    const defs = tok.kind === "ident" && !disabled.has(tok.text) ? macros.get(tok.text) : undefined;
    if (!defs || defs.length === 0) {
      for (const r of results) r.push(tok);
      continue;
    }
    const nextDisabled = new Set(disabled).add(tok.text);
    const pieces: Token[][] = [];
    let consumedTo = i;
    for (const def of defs) {
      if (!def.params) {
        for (const e of expand(substitute(def, [], tok.space), macros, nextDisabled, depth + 1)) pieces.push(e);
        continue;
      }
      const call = readArguments(tokens, i + 1);
      if (!call) {
        pieces.push([tok]);
        continue;
      }
      consumedTo = Math.max(consumedTo, call.end);
      const expandedArgs = call.args.map((a) => expand(a, macros, disabled, depth + 1));
      for (const combo of combinations(expandedArgs)) {
        for (const e of expand(substitute(def, call.args, tok.space, combo), macros, nextDisabled, depth + 1))
          pieces.push(e);
      }
    }
    i = consumedTo;
    results = results.flatMap((r) => pieces.map((p) => [...r, ...p]));
    if (results.length > MAX_ALTERNATIVES) throw new TooManyAlternatives(`more than ${MAX_ALTERNATIVES} expansions`);
  }
  return results;
}

/** The arguments of a function-like macro call starting at `start` (expects `(`), or undefined. */
function readArguments(tokens: readonly Token[], start: number): { args: Token[][]; end: number } | undefined {
  if (tokens[start]?.text !== "(") return undefined;
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = start + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === "(") depth++;
    if (t.text === ")") {
      if (depth === 0) return { args: args.length === 1 && args[0]!.length === 0 ? [] : args, end: i };
      depth--;
    }
    if (t.text === "," && depth === 0) args.push([]);
    else args[args.length - 1]!.push(t);
  }
  return undefined;
}

function combinations(lists: Token[][][]): Token[][][] {
  let out: Token[][][] = [[]];
  for (const list of lists) {
    out = out.flatMap((prefix) => list.map((item) => [...prefix, item]));
    if (out.length > MAX_ALTERNATIVES)
      throw new TooManyAlternatives(`more than ${MAX_ALTERNATIVES} argument combinations`);
  }
  return out;
}

function stringify(tokens: readonly Token[]): Token {
  const text = tokens
    .map((t, k) => (k > 0 && t.space ? " " : "") + (t.kind === "string" ? t.text.replace(/["\\]/g, "\\$&") : t.text))
    .join("");
  return { text: `"${text}"`, kind: "string", space: false };
}

/** The body of `def` with its parameters replaced (`#p` stringified, `##` pasted), before rescanning. */
function substitute(
  def: MacroDefinition,
  rawArgs: Token[][],
  space: boolean,
  expandedArgs: Token[][] = rawArgs,
): Token[] {
  const body = tokenize(def.body);
  const params = def.params ?? [];
  const variadic = params.at(-1) === "...";
  const argFor = (name: string, raw: boolean): Token[] | undefined => {
    const k = name === "__VA_ARGS__" && variadic ? params.length - 1 : params.indexOf(name);
    if (k < 0) return undefined;
    if (variadic && k === params.length - 1) {
      const rest = (raw ? rawArgs : expandedArgs).slice(k);
      return rest.flatMap((a, n) => (n === 0 ? a : [{ text: ",", kind: "punct", space: false } as Token, ...a]));
    }
    return (raw ? rawArgs : expandedArgs)[k] ?? [];
  };
  const out: Token[] = [];
  for (let i = 0; i < body.length; i++) {
    const t = body[i]!;
    if (t.text === "#" && def.params && body[i + 1]?.kind === "ident") {
      const arg = argFor(body[i + 1]!.text, true);
      if (arg) {
        out.push({ ...stringify(arg), space: t.space });
        i++;
        continue;
      }
    }
    if (t.kind === "ident") {
      const pasted = body[i - 1]?.text === "##" || body[i + 1]?.text === "##";
      const arg = argFor(t.text, pasted);
      if (arg) {
        arg.forEach((a, k) => {
          out.push(k === 0 ? { ...a, space: t.space } : a);
        });
        continue;
      }
    }
    out.push(t);
  }
  // `a ## b`: one token made of both spellings.
  for (let i = out.findIndex((t) => t.text === "##"); i >= 0; i = out.findIndex((t) => t.text === "##")) {
    const left = out[i - 1];
    const right = out[i + 1];
    const text = (left?.text ?? "") + (right?.text ?? "");
    const start = left ? i - 1 : i;
    out.splice(start, (left ? 1 : 0) + 1 + (right ? 1 : 0), {
      text,
      kind: /^[A-Za-z_$]/.test(text) ? "ident" : ((left ?? right)?.kind ?? "punct"),
      space: left?.space ?? false,
    });
  }
  if (out[0]) out[0] = { ...out[0], space };
  return out;
}

/** A header name from an expansion: one string literal, or `<` tokens `>`. */
function headerName(tokens: readonly Token[]): IncludeOperand | undefined {
  if (tokens.length === 1 && tokens[0]!.kind === "string" && tokens[0]!.text.startsWith('"')) {
    return { form: "quote", name: tokens[0]!.text.slice(1, -1) };
  }
  if (tokens[0]?.text !== "<" || tokens.at(-1)?.text !== ">") return undefined;
  const name = tokens
    .slice(1, -1)
    .map((t, k) => (k > 0 && t.space ? " " : "") + t.text)
    .join("");
  return name ? { form: "angle", name } : undefined;
}

/**
 * The header names a computed operand may stand for, under every definition seen. An empty list
 * means no combination gave a header name (the operand is unknowable: cpp would fail or depends on
 * something this analysis cannot see); throws TooManyAlternatives past the bound.
 */
export function resolveComputed(text: string, macros: MacroTable): IncludeOperand[] {
  const names = new Map<string, IncludeOperand>();
  for (const expansion of expand(tokenize(text), macros, new Set(), 0)) {
    const operand = headerName(expansion);
    if (operand && operand.form !== "computed") names.set(`${operand.form}:${operand.name}`, operand);
  }
  return [...names.values()];
}
