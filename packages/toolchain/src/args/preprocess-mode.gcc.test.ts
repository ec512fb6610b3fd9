// Directives-only preprocessing with the real gcc: the object made from its output (compiled the
// way a helper compiles it) must be byte for byte the one a local compile of the source makes, and
// the cases it cannot carry (but #pragma pop_macro, see preprocess-mode.ts) must be caught by
// placeDependentWord.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { preprocessorArgv } from "./commands.js";
import {
  directivesOnlyBlocker,
  placeDependentWord,
  withPreprocessMode,
  type PreprocessMode,
} from "./preprocess-mode.js";
import { scanArgs, type DistributableScan } from "./scan.js";
import { stripLocalArgs } from "./strip.js";

const tmp = makeTempDir("args-directives-only-");
afterAll(() => tmp.remove());

const gccVersion = execFileSync("gcc", ["-dumpfullversion"], { encoding: "utf8" }).trim();

const HEADER = `#pragma once
#define SQUARE(x) ((x) * (x))
#define STR(x) #x
#define XSTR(x) STR(x)
#define CAT(a, b) a##b
#define WHERE() where(__FILE__, __LINE__, __COUNTER__, __INCLUDE_LEVEL__)
int where(const char *file, int line, int counter, int level);
static inline int in_header(void) { return WHERE(); }
`;

const SOURCES: Record<string, string> = {
  "macros.c": `#include <stdio.h>
#include "inc/h.h"
#include "inc/h.h"
#ifndef LEVEL
#error LEVEL is set with -D
#endif
#pragma pack(push, 1)
struct packed { char a; int b; };
#pragma pack(pop)
_Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \\"-Wunused-variable\\"")
int CAT(main_, LEVEL)(void) {
  int unused;
  const char *v = XSTR(LEVEL) " " XSTR(SQUARE(3)) " " __FILE__;
  printf("%s %d %zu %d\\n", v, SQUARE(LEVEL + 1), sizeof(struct packed), in_header() + WHERE() + WHERE());
  return PRE;
}
_Pragma("GCC diagnostic pop")
`,
  "templates.cc": `#include <string>
#include "inc/h.h"
template <typename T> T twice(T v) { return v + v; }
#define RAW R"x(a "raw" \\ string with SQUARE(2))x"
std::string f() { return twice(std::string(RAW)) + XSTR(SQUARE(LEVEL)); }
int g() { return WHERE() + PRE; }
`,
};

function layOut(): string {
  const dir = join(tmp.path, "project");
  mkdirSync(join(dir, "inc"), { recursive: true });
  writeFileSync(join(dir, "inc", "h.h"), HEADER);
  writeFileSync(join(dir, "inc", "pre.h"), "#define PRE 7\n");
  for (const [name, text] of Object.entries(SOURCES)) writeFileSync(join(dir, name), text);
  return dir;
}

function scanOf(line: string[], cwd: string): DistributableScan {
  const s = scanArgs(line, { cwd, env: {} });
  if (!s.distributable) throw new Error(`not distributable: ${line.join(" ")}`);
  return s;
}

function run(argv: string[], cwd: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    cwd,
    encoding: "latin1",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 << 20,
  });
}

/** What the client and a helper do: preprocess in `mode`, then compile the output in a separate folder. */
function viaPreprocessor(scan: DistributableScan, cwd: string, mode: PreprocessMode, tag: string): Buffer {
  const helper = join(tmp.path, `helper-${tag}`);
  mkdirSync(helper, { recursive: true });
  const ext = scan.language === "c++" ? ".ii" : ".i";
  writeFileSync(join(helper, `input${ext}`), run(preprocessorArgv(scan, mode), cwd), "latin1");
  const wire = stripLocalArgs(scan.argv);
  wire[wire.indexOf(scan.input)] = `input${ext}`;
  wire[wire.indexOf(scan.output)] = "output.o";
  run(withPreprocessMode(wire, mode), helper);
  return readFileSync(join(helper, "output.o"));
}

describe(`directives-only preprocessing with the real gcc ${gccVersion}`, () => {
  const dir = layOut();
  const cases: Array<[string, string[]]> = [
    [
      "C with macros, pragmas, __COUNTER__ and -include",
      ["gcc", "-O2", "-Wall", "-DLEVEL=3", "-include", "inc/pre.h", "-c", "macros.c", "-o", "macros.o"],
    ],
    [
      "C++ with templates and a raw string",
      ["g++", "-O1", "-DLEVEL=2", "-include", "inc/pre.h", "-c", "templates.cc", "-o", "templates.o"],
    ],
  ];
  cases.forEach(([name, argv], n) => {
    it(`${name}: the object is the local compile's, byte for byte`, () => {
      const scan = scanOf(argv, dir);
      expect(directivesOnlyBlocker(scan, { family: "gcc", version: gccVersion })).toBeUndefined();
      run(argv, dir);
      const local = readFileSync(join(dir, scan.output));
      const light = viaPreprocessor(scan, dir, "directives-only", `do${n}`);
      expect(light.equals(local)).toBe(true);
      // and the output really was lighter work: macros left for the compiler
      const text = run(preprocessorArgv(scan, "directives-only"), dir);
      expect(text).toContain("#define SQUARE(x)");
      expect(placeDependentWord(Buffer.from(text, "latin1"))).toBeUndefined();
    });
  });

  it("__BASE_FILE__ would name the helper's file: the output is caught", () => {
    writeFileSync(
      join(dir, "base.c"),
      "#define LOG() log_at(__BASE_FILE__)\nvoid log_at(const char *);\nvoid f(void) { LOG(); }\n",
    );
    const scan = scanOf(["gcc", "-O2", "-c", "base.c", "-o", "base.o"], dir);
    const text = run(preprocessorArgv(scan, "directives-only"), dir);
    expect(placeDependentWord(Buffer.from(text, "latin1"))).toBe("__BASE_FILE__");
    run(scan.argv, dir);
    // what would have gone wrong: the string in the object is the helper's file name
    expect(viaPreprocessor(scan, dir, "directives-only", "base").includes("input.i")).toBe(true);
    expect(viaPreprocessor(scan, dir, "full", "base-full").equals(readFileSync(join(dir, "base.o")))).toBe(true);
  });

  it("__TIMESTAMP__ would be the helper's file time: the output is caught", () => {
    writeFileSync(join(dir, "stamp.c"), "const char *built = __TIMESTAMP__;\n");
    const scan = scanOf(["gcc", "-c", "stamp.c", "-o", "stamp.o"], dir);
    expect(placeDependentWord(Buffer.from(run(preprocessorArgv(scan, "directives-only"), dir), "latin1"))).toBe(
      "__TIMESTAMP__",
    );
  });
});
