// A deterministic C project for build benches: NFILES sources of mixed size (60 % with 3-10
// functions, 30 % with 10-30, 10 % with 30-60), each including four libc headers and one project
// header of 40 record types and NFILES prototypes, so preprocessing costs something real, as in
// application code. The same (nfiles, seed) writes byte-identical files. The Makefile honours CC
// and CFLAGS and archives the objects (ar always runs on the client).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** mulberry32: small, seedable, the same sequence on every Node version. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

const RECORDS = 40;
const pad = (i) => String(i).padStart(3, "0");

function header(nfiles) {
  const out = ["#ifndef PROJ_H", "#define PROJ_H", "#include <stddef.h>", "#include <stdint.h>", ""];
  for (let r = 0; r < RECORDS; r++) {
    out.push(`struct rec${r} { int32_t a; int64_t b; double c; char name[${8 + r}]; struct rec${r} *next; };`);
    out.push(
      `static inline int64_t rec${r}_sum(const struct rec${r} *p) { int64_t s = 0; for (; p; p = p->next) s += p->a * ${r + 3} + p->b; return s; }`,
    );
  }
  out.push("#define PROJ_MIN(a, b) ((a) < (b) ? (a) : (b))", "#define PROJ_MAX(a, b) ((a) > (b) ? (a) : (b))");
  for (let i = 0; i < nfiles; i++) out.push(`int64_t f${pad(i)}_entry(int64_t x);`);
  out.push("#endif", "");
  return out.join("\n");
}

/** One static function of one of four shapes: integer mixing loop, switch, records, floating point. */
function helper(rnd, file, j) {
  const name = `f${pad(file)}_${j}`;
  switch (rnd.int(0, 3)) {
    case 0:
      return `static int64_t ${name}(int64_t x) {
  int64_t acc = x;
  for (int i = 0; i < ${rnd.int(4, 64)}; i++) {
    acc = acc * ${rnd.int(3, 97)} + table_${file}[i & 63];
    acc ^= acc >> ${rnd.int(1, 13)};
  }
  return acc;
}`;
    case 1: {
      const cases = Array.from(
        { length: rnd.int(4, 16) },
        (_, c) => `    case ${c}: x = x * ${rnd.int(2, 50)} - ${rnd.int(1, 1000)}; break;`,
      );
      return `static int64_t ${name}(int64_t x) {
  switch (x & 15) {
${cases.join("\n")}
    default: x = -x; break;
  }
  return x;
}`;
    }
    case 2: {
      const r = rnd.int(0, RECORDS - 1);
      return `static int64_t ${name}(int64_t x) {
  struct rec${r} v[4];
  memset(v, 0, sizeof v);
  for (int i = 0; i < 4; i++) {
    v[i].a = (int32_t)(x + i);
    v[i].b = x * i;
    v[i].c = sqrt((double)(i + 1));
    v[i].next = i < 3 ? &v[i + 1] : NULL;
    snprintf(v[i].name, sizeof v[i].name, "v%d", i);
  }
  return rec${r}_sum(v) + (int64_t)v[3].c + (int64_t)strlen(v[0].name);
}`;
    }
    default:
      return `static int64_t ${name}(int64_t x) {
  double d = (double)x;
  for (int i = 1; i < ${rnd.int(3, 20)}; i++) d = d * 0.5 + sin(d) * ${rnd.int(1, 9)} + cos((double)i);
  return (int64_t)d ^ PROJ_MAX(x, ${rnd.int(0, 100)});
}`;
  }
}

function source(rnd, file) {
  const size = rnd.next();
  const count = size < 0.6 ? rnd.int(3, 10) : size < 0.9 ? rnd.int(10, 30) : rnd.int(30, 60);
  const table = Array.from({ length: 64 }, () => rnd.int(-999, 999));
  const out = [
    "#include <math.h>",
    "#include <stdio.h>",
    "#include <stdlib.h>",
    "#include <string.h>",
    '#include "proj.h"',
    "",
  ];
  out.push(`static const int32_t table_${file}[64] = { ${table.join(", ")} };`, "");
  for (let j = 0; j < count; j++) out.push(helper(rnd, file, j), "");
  const calls = Array.from({ length: count }, (_, j) => `f${pad(file)}_${j}(x + ${j})`);
  out.push(
    `int64_t f${pad(file)}_entry(int64_t x) {`,
    `  return table_${file}[x & 63] + ${calls.join(" + ")};`,
    "}",
    "",
  );
  return out.join("\n");
}

const MAKEFILE = `CC ?= gcc
CFLAGS ?= -O2 -g -Wall
OBJS := $(patsubst src/%.c,obj/%.o,$(sort $(wildcard src/*.c)))

all: libproj.a

obj:
\tmkdir -p $@

obj/%.o: src/%.c include/proj.h | obj
\t$(CC) $(CFLAGS) -Iinclude -c $< -o $@

libproj.a: $(OBJS)
\tar rcs $@ $^

clean:
\trm -rf obj libproj.a

.PHONY: all clean
`;

/** Writes dir/{src/fNNN.c, include/proj.h, Makefile}; returns the source size and a content hash. */
export function generateProject(dir, nfiles, seed = 1) {
  const rnd = prng(seed);
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "include"), { recursive: true });
  const hash = createHash("sha256");
  let bytes = 0;
  for (let i = 0; i < nfiles; i++) {
    const text = source(rnd, i);
    writeFileSync(join(dir, "src", `f${pad(i)}.c`), text);
    hash.update(text);
    bytes += Buffer.byteLength(text);
  }
  const h = header(nfiles);
  writeFileSync(join(dir, "include", "proj.h"), h);
  hash.update(h);
  writeFileSync(join(dir, "Makefile"), MAKEFILE);
  return { bytes, sha256: hash.digest("hex").slice(0, 16) };
}
