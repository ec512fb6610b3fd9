/**
 * glibc's `srand(seed)` then `rand()` (the default TYPE_3 additive generator), scaled to [0, 1).
 * distcc's `--randomize` seeds with its pid, so `parseHostList(text, { random: glibcRandom(pid) })`
 * orders hosts exactly as the distcc process with that pid did.
 */
export function glibcRandom(seed: number): () => number {
  const r: number[] = new Array<number>(34);
  let word = seed | 0 || 1;
  r[0] = word;
  for (let i = 1; i < 31; i++) {
    // 16807 * word % 2147483647 without overflow (Schrage), as glibc's srandom_r does.
    const hi = Math.trunc(word / 127773);
    const lo = word % 127773;
    word = 16807 * lo - 2836 * hi;
    if (word < 0) word += 2147483647;
    r[i] = word;
  }
  for (let i = 31; i < 34; i++) r[i] = r[i - 31] as number;
  // The generator state is the last 34 values; glibc discards the first 310 outputs.
  const state = r.map((v) => v >>> 0);
  let k = 34;
  const next = (): number => {
    const v = ((state[(k - 31) % 34] as number) + (state[(k - 3) % 34] as number)) >>> 0;
    state[k % 34] = v;
    k++;
    return v;
  };
  for (let i = 0; i < 310; i++) next();
  return () => (next() >>> 1) / 2147483648;
}
