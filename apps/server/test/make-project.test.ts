import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@x/testkit";
import { clientDir, disassembly, distccEnv, run, startTestServer, type TestServer } from "./helpers.js";

const FILES = 120;

/** A deterministic project: FILES C files sharing two headers, each with a few functions. */
function generateProject(root: string): void {
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(join(root, "include"), { recursive: true });
  writeFileSync(
    join(root, "include", "common.h"),
    "#include <stddef.h>\n#include <string.h>\n#define SCALE 7\nstruct pair { long a, b; };\nlong mix(long x, long y);\n",
  );
  writeFileSync(join(root, "include", "table.h"), "static const int table[] = { 1, 1, 2, 3, 5, 8, 13, 21 };\n");
  for (let i = 0; i < FILES; i++) {
    const body = [
      '#include "common.h"',
      i % 3 === 0 ? '#include "table.h"' : "",
      "#include <stdio.h>",
      `static long helper_${i}(long x) { long s = 0; for (long k = 0; k < x; k++) s += (k * SCALE) ^ ${i}; return s; }`,
      `long f_${i}(struct pair p) { return helper_${i}(p.a) + p.b * ${i + 1}; }`,
      `size_t g_${i}(const char *s) { char buf[64]; snprintf(buf, sizeof buf, "%s-${i}", s); return strlen(buf); }`,
      i % 3 === 0 ? `int t_${i}(int k) { return table[k & 7] * ${i}; }` : "",
      "",
    ];
    writeFileSync(join(root, "src", `unit${String(i).padStart(3, "0")}.c`), body.join("\n"));
  }
  writeFileSync(
    join(root, "Makefile"),
    "SRCS := $(wildcard src/*.c)\nOBJS := $(SRCS:.c=.o)\nCFLAGS := -O2 -Wall -Iinclude\nall: $(OBJS)\n%.o: %.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n",
  );
}

let srv: TestServer;
let dir: ReturnType<typeof clientDir>;

beforeAll(async () => {
  srv = await startTestServer({ jobs: 4 });
  dir = clientDir();
  generateProject(join(dir.path, "local"));
  cpSync(join(dir.path, "local"), join(dir.path, "remote"), { recursive: true });
});
afterAll(async () => {
  await srv?.stop();
  dir?.remove();
});

describe("a generated project of 120 C files", () => {
  it("make -j8 CC='distcc gcc' through our server gives the objects of a local build", async () => {
    const local = await run("make", ["-j8", "CC=gcc"], { cwd: join(dir.path, "local") });
    expect(local.code, local.stderr).toBe(0);
    const before = srv.server.stats().results.COMPILE_OK;
    const remote = await run("make", ["-j8", "CC=distcc gcc"], {
      cwd: join(dir.path, "remote"),
      env: distccEnv(`${srv.hosts}/8,lzo`, dir.distccDir),
    });
    expect(remote.code, remote.stderr).toBe(0);
    await waitFor(
      "srv.server.stats().results.COMPILE_OK - before === FILES",
      () => srv.server.stats().results.COMPILE_OK - before === FILES,
    );

    const objects = readdirSync(join(dir.path, "local", "src")).filter((f) => f.endsWith(".o"));
    expect(objects.length).toBe(FILES);
    let identicalBytes = 0;
    for (const o of objects) {
      const a = readFileSync(join(dir.path, "local", "src", o));
      const b = readFileSync(join(dir.path, "remote", "src", o));
      if (a.equals(b)) identicalBytes++;
      else
        expect(await disassembly(join("remote", "src", o), dir.path)).toBe(
          await disassembly(join("local", "src", o), dir.path),
        );
    }
    // Without -g nothing of the server's paths ends up in the object: byte for byte the same.
    expect(identicalBytes).toBe(FILES);
    expect(await srv.leftovers()).toEqual([]);
  });
});
