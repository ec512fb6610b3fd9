import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes a C project of `files` units with a Makefile (objects under obj/, one per unit). */
export function generateProject(dir: string, files: number): string[] {
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "include"), { recursive: true });
  mkdirSync(join(dir, "obj"), { recursive: true });
  writeFileSync(
    join(dir, "include", "common.h"),
    "#pragma once\n#include <stdio.h>\n#include <string.h>\n#define SCALE 3\n",
  );
  const objects: string[] = [];
  for (let i = 0; i < files; i++) {
    const body = [
      '#include "common.h"',
      `static int table_${i}[16] = {${Array.from({ length: 16 }, (_, k) => (k * 7 + i) % 97).join(", ")}};`,
      `int unit_${i}(int x) {`,
      "  int acc = 0;",
      `  for (int k = 0; k < 16; k++) acc += table_${i}[k] * (x + k) * SCALE;`,
      `  return acc ^ ${i};`,
      "}",
      `const char *name_${i}(void) { static char buf[32]; snprintf(buf, sizeof buf, "unit-%d", ${i}); return buf; }`,
    ].join("\n");
    writeFileSync(join(dir, "src", `u${i}.c`), `${body}\n`);
    objects.push(`obj/u${i}.o`);
  }
  writeFileSync(
    join(dir, "Makefile"),
    [
      "CC ?= gcc",
      "CFLAGS ?= -O2 -Iinclude",
      `OBJS = ${objects.join(" ")}`,
      "all: $(OBJS)",
      "obj/%.o: src/%.c",
      "\t$(CC) $(CFLAGS) -MMD -c $< -o $@",
      "-include $(OBJS:.o=.d)",
      "",
    ].join("\n"),
  );
  return objects;
}
