// The canonical reading checked against the real gcc driver: `gcc -###` prints, in
// COLLECT_GCC_OPTIONS, every option as it canonicalised it (and in COLLECT_AS_OPTIONS what goes to
// the assembler). For every spelling below our reading must give exactly gcc's words.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalWords, readDriverWords } from "./driver-words.js";

const dir = mkdtempSync(join(tmpdir(), "driver-words-"));
writeFileSync(join(dir, "a.c"), "int x;\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** gcc's canonical words for `gcc -### WORDS -c a.c -o a.o` (its own additions removed), and the assembler's. */
function gccReading(words: string[]): { options: string[]; assembler: string[] } {
  const text = spawnSync("gcc", ["-###", ...words, "-c", "a.c", "-o", "a.o"], { cwd: dir, encoding: "utf8" }).stderr;
  const quoted = (line: string | undefined): string[] =>
    [...(line ?? "").matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1]!.replace(/'\\''/g, "'"));
  const options = quoted(/^COLLECT_GCC_OPTIONS=(.*)$/m.exec(text)?.[1]);
  const tail = ["-c", "-o", "a.o", "-mtune=generic", "-march=x86-64"];
  const end = options.length - tail.length;
  expect(options.slice(end), `gcc -### ${words.join(" ")}:\n${text}`).toEqual(tail);
  return { options: options.slice(0, end), assembler: quoted(/^COLLECT_AS_OPTIONS=(.*)$/m.exec(text)?.[1]) };
}

const ours = (words: string[]): string[] => canonicalWords(readDriverWords(["gcc", ...words]));

// [the client's words, gcc's canonical words]
const CASES: [string[], string[]][] = [
  [["--plugin=./input.i"], ["-fplugin=./input.i"]],
  [["--compare-debug=-fplugin=./evil.so"], ["-fcompare-debug=-fplugin=./evil.so"]],
  [["--output=/tmp/x.o"], ["-o", "/tmp/x.o"]],
  [
    ["--output", "/tmp/x.o"],
    ["-o", "/tmp/x.o"],
  ],
  [
    ["-MQ", "-ofoo", "-o", "/tmp/p.o"],
    ["-MQ", "-ofoo", "-o", "/tmp/p.o"],
  ],
  [["--dump-tree-original=/tmp/d"], ["-fdump-tree-original=/tmp/d"]],
  [["--dump-rtl-final=/tmp/d"], ["-fdump-rtl-final=/tmp/d"]],
  [["--dump-final-insns=/tmp/d"], ["-fdump-final-insns=/tmp/d"]],
  [["--opt-info-all=/tmp/o"], ["-fopt-info-all=/tmp/o"]],
  [
    ["--test-coverage", "--profile-note=/tmp/n"],
    ["-ftest-coverage", "-fprofile-note=/tmp/n"],
  ],
  [["--include=/etc/hostname"], ["-include", "/etc/hostname"]],
  [
    ["--include", "/etc/hostname"],
    ["-include", "/etc/hostname"],
  ],
  [
    ["--imacros", "/etc/hostname"],
    ["-imacros", "/etc/hostname"],
  ],
  [["--include-directory=/x"], ["-I", "/x"]],
  [["--prefix=/tmp/"], ["-B", "/tmp/"]],
  [["--no-common"], ["-fno-common"]],
  [["--warn-all"], ["-Wall"]],
  [["--machine-sse2"], ["-msse2"]],
  [["--std=c99"], ["-std=c99"]],
  [["--std", "c99"], ["-std=c99"]],
  [["--param", "max-inline-insns-single=5"], ["--param=max-inline-insns-single=5"]],
  [["--param=max-inline-insns-single=5"], ["--param=max-inline-insns-single=5"]],
  [["--define-macro=X"], ["-D", "X"]],
  [["--sysroot=/"], ["--sysroot=/"]],
  [["--dump=x"], ["-dx"]],
  [["--write-dependencies"], ["-MD"]],
  [["--debug"], ["-g"]],
  [["--optimize=2"], ["-O2"]],
  [
    ["-I", "/x", "-Iy", "-isystem", "/s", "-iquoteq", "-DA", "-D", "B=1", "-UC"],
    ["-I", "/x", "-I", "y", "-isystem", "/s", "-iquote", "q", "-D", "A", "-D", "B=1", "-U", "C"],
  ],
  [
    ["-include", "h.h", "-imacros", "m.h", "-idirafter", "d"],
    ["-include", "h.h", "-imacros", "m.h", "-idirafter", "d"],
  ],
  [
    ["-MD", "-MF", "x.d", "-MTt", "-MQ", "q"],
    ["-MD", "-MF", "x.d", "-MT", "t", "-MQ", "q"],
  ],
  [
    ["-fplugin=./x.so", "-specs=/tmp/s", "-O2", "-g3", "-Wall", "-fno-common", "-mno-red-zone"],
    ["-fplugin=./x.so", "-specs=/tmp/s", "-O2", "-g3", "-Wall", "-fno-common", "-mno-red-zone"],
  ],
];

describe("our reading of a command equals gcc's (gcc -###)", () => {
  it.each(CASES)("%j", (words, canonical) => {
    // -specs= with a missing file stops gcc before it prints anything: leave it out of gcc's run.
    if (!words.some((w) => w.startsWith("-specs"))) expect(gccReading(words).options).toEqual(canonical);
    expect(ours(words)).toEqual(canonical);
  });

  it.each([
    [["-Xassembler", "--M=/tmp/m"], "--M=/tmp/m"],
    [["--for-assembler=--MD=/tmp/q"], "--MD=/tmp/q"],
    [["--for-assembler", "-a=/tmp/q"], "-a=/tmp/q"],
  ])("%j goes to the assembler as %s", (words, part) => {
    expect(gccReading(words).assembler).toEqual([part]);
    expect(readDriverWords(["gcc", ...words])).toMatchObject([{ option: "-Xassembler", value: part }]);
  });

  it("-Wa, is one word whose value gcc splits at commas for the assembler", () => {
    expect(gccReading(["-Wa,--noexecstack,--M=/tmp/m"]).assembler).toEqual(["--noexecstack", "--M=/tmp/m"]);
    expect(readDriverWords(["gcc", "-Wa,--noexecstack,--M=/tmp/m"])).toMatchObject([
      { option: "-Wa,", value: "--noexecstack,--M=/tmp/m" },
    ]);
  });

  it("the output is the last -o, whatever its spelling: gcc passes all of them to as, which takes the last", () => {
    const text = spawnSync("gcc", ["-###", "--output=o3.o", "-c", "a.c", "-o", "a.o"], {
      cwd: dir,
      encoding: "utf8",
    }).stderr;
    expect(text).toMatch(/^ as .* -o o3\.o -o a\.o /m);
    const words = readDriverWords(["gcc", "--output=o3.o", "-c", "a.c", "-o", "a.o"]).filter((w) => w.option === "-o");
    expect(words.map((w) => w.value)).toEqual(["o3.o", "a.o"]);
  });

  it("gcc accepts an unambiguous abbreviation of a long option (so no list of spellings can be complete)", () => {
    expect(gccReading(["--pref", "/tmp/"]).options).toEqual(["-B", "/tmp/"]);
    expect(readDriverWords(["gcc", "--pref", "/tmp/"])[0]).toMatchObject({ long: "generic" });
  });
});
