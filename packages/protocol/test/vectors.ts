// Reads the golden captures in packages/testkit/vectors (real distcc 3.4 bytes) and their token listings.
import { readFileSync, readdirSync } from "node:fs";
import { vectorPath } from "@x/testkit";

export interface ListedToken {
  offset: number;
  token: string;
  param: number;
  /** body=N: bytes on the wire. */
  body?: number;
  /** lzo->N: size after decompression. */
  plain?: number;
  /** The quoted preview of string bodies, as capture-proxy.py printed it. */
  preview?: string;
}

export interface Capture {
  name: string;
  c2s: Uint8Array;
  s2c: Uint8Array;
  c2sTokens: ListedToken[];
  s2cTokens: ListedToken[];
}

function unquote(text: string): string {
  const q = text[0];
  const inner = text.slice(1, -1);
  return inner.replace(/\\(.)/g, (_, c: string) => (c === q || c === "\\" ? c : `\\${c}`));
}

function parseListing(lines: string[]): ListedToken[] {
  const out: ListedToken[] = [];
  for (const line of lines) {
    const m = /^([0-9a-f]{8}) {2}(.{4}) ([0-9a-fA-F]{8})(?: {2}body=(\d+)(?: lzo->(\d+))?)?(?: {2}(['"].*['"]))?$/.exec(
      line,
    );
    if (!m) continue;
    const t: ListedToken = { offset: parseInt(m[1]!, 16), token: m[2]!, param: parseInt(m[3]!, 16) };
    if (m[4] !== undefined) t.body = Number(m[4]);
    if (m[5] !== undefined) t.plain = Number(m[5]);
    if (m[6] !== undefined) t.preview = unquote(m[6]);
    out.push(t);
  }
  return out;
}

export function loadCapture(name: string): Capture {
  const dir = vectorPath("captures");
  const text = readFileSync(`${dir}/${name}.tokens.txt`, "utf8");
  const sections = text.split(/^== /m).filter((s) => s.trim());
  const c2sLines = sections.find((s) => s.startsWith(`${name}.c2s.bin`))?.split("\n") ?? [];
  const s2cLines = sections.find((s) => s.startsWith(`${name}.s2c.bin`))?.split("\n") ?? [];
  return {
    name,
    c2s: new Uint8Array(readFileSync(`${dir}/${name}.c2s.bin`)),
    s2c: new Uint8Array(readFileSync(`${dir}/${name}.s2c.bin`)),
    c2sTokens: parseListing(c2sLines),
    s2cTokens: parseListing(s2cLines),
  };
}

export function captureNames(): string[] {
  return readdirSync(vectorPath("captures"))
    .filter((f) => f.endsWith(".tokens.txt"))
    .map((f) => f.replace(/\.tokens\.txt$/, ""))
    .sort();
}

/** capture-proxy.py's preview: 70 bytes as latin-1, non-printables as ".", "..." when longer. */
export function preview(raw: Uint8Array, limit = 70): string {
  let s = "";
  for (const b of raw.subarray(0, limit)) s += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
  return s + (raw.length > limit ? "..." : "");
}

export interface LzoPair {
  name: string;
  raw: Uint8Array;
  lzo: Uint8Array;
  distccProduced: boolean;
}

export function loadLzoPairs(): LzoPair[] {
  const dir = vectorPath("lzo");
  const pairs = JSON.parse(readFileSync(`${dir}/pairs.json`, "utf8")) as {
    name: string;
    equals_liblzo2_lzo1x_1?: boolean;
  }[];
  return pairs.map((p) => ({
    name: p.name,
    raw: new Uint8Array(readFileSync(`${dir}/${p.name}.raw`)),
    lzo: new Uint8Array(readFileSync(`${dir}/${p.name}.lzo`)),
    distccProduced: p.equals_liblzo2_lzo1x_1 === true,
  }));
}
