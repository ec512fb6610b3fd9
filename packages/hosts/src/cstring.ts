// The C library behaviour distcc's hosts parser relies on, over a JS string indexed by UTF-16
// unit (hosts lists are ASCII in practice). Kept exact because distcc's verdicts depend on it:
// atoi/strtol skip leading whitespace and accept a sign, so `a/ 5` has limit 5.

const SPACE = 32;

/** C `isspace` in the C locale: space, \t, \n, \v, \f, \r. */
export function isSpace(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13);
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A set of ASCII stop characters, as a lookup table (the scanner's hot loop). */
export type StopSet = Uint8Array;

export function stopSet(chars: string): StopSet {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

/** C `strcspn`: index of the first character at or after `from` that is in `stops` (or text.length). */
export function spanUntil(text: string, from: number, stops: StopSet): number {
  let i = from;
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128 && stops[c] === 1) break;
  }
  return i;
}

export function startsWithAt(text: string, at: number, word: string): boolean {
  return text.startsWith(word, at);
}

export interface StrtolResult {
  /** The value as a C `int` would hold it after `(int) strtol(...)`. */
  value: number;
  /** strtol's endptr: after the digits, or `from` itself when there were none. */
  end: number;
  /** Where the first digit was (or -1): lets callers notice a number read from the next entry. */
  digitsAt: number;
  /** The written number does not fit a C int, so `value` is what C made of it. */
  wrapped: boolean;
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** glibc `(int) strtol(text + from, &end, 10)` on LP64: saturate to long, then wrap to int. */
export function strtolInt(text: string, from: number): StrtolResult {
  let i = from;
  const n = text.length;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === 43 || sign === 45) {
    negative = sign === 45;
    i++;
  }
  const digitsAt = i;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i === digitsAt) return { value: 0, end: from, digitsAt: -1, wrapped: false };
  const digits = text.slice(digitsAt, i);
  let value: number;
  let wrapped: boolean;
  if (digits.length <= 15) {
    const exact = negative ? -Number(digits) : Number(digits);
    value = exact | 0;
    wrapped = value !== exact;
  } else {
    wrapped = true;
    let big = BigInt(digits);
    if (negative) big = -big;
    if (big > LONG_MAX) big = LONG_MAX;
    if (big < LONG_MIN) big = LONG_MIN;
    value = Number(BigInt.asIntN(32, big));
  }
  return { value, end: i, digitsAt, wrapped };
}
