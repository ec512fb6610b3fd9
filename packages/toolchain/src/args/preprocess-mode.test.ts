import { describe, expect, it } from "vitest";
import { preprocessorArgv } from "./commands.js";
import {
  directivesOnlyBlocker,
  placeDependentWord,
  withPreprocessMode,
  type PreprocessorCompiler,
} from "./preprocess-mode.js";
import { scanArgs, type DistributableScan } from "./scan.js";

const GCC12: PreprocessorCompiler = { family: "gcc", version: "12.2.0" };

function scan(line: string): DistributableScan {
  const s = scanArgs(line.split(" "), { cwd: "/src", env: {} });
  if (!s.distributable) throw new Error(`not distributable: ${line}`);
  return s;
}

describe("directivesOnlyBlocker", () => {
  it("lets a plain gcc 11+ compile of C, C++ or Objective-C through", () => {
    for (const line of [
      "gcc -O2 -c a.c -o a.o",
      "g++ -std=c++20 -c a.cc",
      "gcc -c a.m",
      "gcc -MD -DX=1 -Iinc -include p.h -c a.c",
    ]) {
      expect(directivesOnlyBlocker(scan(line), GCC12), line).toBeUndefined();
    }
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), { family: "gcc", version: "11.1.0" })).toBeUndefined();
  });

  it("keeps full preprocessing for clang, old or unknown gcc, and an unidentified compiler", () => {
    expect(directivesOnlyBlocker(scan("clang -c a.c"), { family: "clang", version: "16.0.6" })).toMatch(/clang/);
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), { family: "gcc", version: "10.2.1" })).toMatch(/older than 11/);
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), { family: "gcc", version: "" })).toMatch(/older/);
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), undefined)).toMatch(/identified/);
  });

  it("keeps it for preprocessed inputs, -x, assembler and the options that change cpp's output", () => {
    expect(directivesOnlyBlocker(scan("gcc -c a.i"), GCC12)).toMatch(/already preprocessed/);
    expect(directivesOnlyBlocker(scan("gcc -x c -c a.c"), GCC12)).toMatch(/-x/);
    for (const opt of [
      "-traditional-cpp",
      "-C",
      "-CC",
      "-dD",
      "-fdirectives-only",
      "-fno-directives-only",
      "-fmodules-ts",
      "-Wunused-macros",
      "-fpch-preprocess",
    ]) {
      expect(directivesOnlyBlocker(scan(`gcc ${opt} -c a.c`), GCC12), opt).toContain(opt);
    }
  });

  it("keeps it for a reproducible build: __DATE__ must be this machine's SOURCE_DATE_EPOCH", () => {
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), GCC12, { SOURCE_DATE_EPOCH: "1700000000" })).toMatch(
      /SOURCE_DATE_EPOCH/,
    );
    expect(directivesOnlyBlocker(scan("gcc -c a.c"), GCC12, { HOME: "/root" })).toBeUndefined();
  });
});

describe("placeDependentWord", () => {
  it("finds the words a helper would give another value, anywhere in the output", () => {
    expect(placeDependentWord(Buffer.from("#define W() log(__BASE_FILE__)\nint x;\n"))).toBe("__BASE_FILE__");
    expect(placeDependentWord(Buffer.from("const char *t = __TIMESTAMP__;"))).toBe("__TIMESTAMP__");
    expect(placeDependentWord(new Uint8Array(Buffer.from("x /* __BASE_FILE__ */")))).toBe("__BASE_FILE__");
  });

  it("passes ordinary output, __FILE__, __LINE__ and __DATE__", () => {
    expect(
      placeDependentWord(
        Buffer.from("#define A 1\nint x = A; const char *f = __FILE__, *d = __DATE__; int l = __LINE__;\n"),
      ),
    ).toBeUndefined();
    expect(placeDependentWord(Buffer.alloc(0))).toBeUndefined();
  });
});

describe("withPreprocessMode", () => {
  it("adds -fdirectives-only after the compiler for directives-only output, nothing for full", () => {
    expect(withPreprocessMode(["gcc", "-O2", "-c", "a.i"], "directives-only")).toEqual([
      "gcc",
      "-fdirectives-only",
      "-O2",
      "-c",
      "a.i",
    ]);
    const argv = ["gcc", "-c", "a.i"];
    const same = withPreprocessMode(argv, "full");
    expect(same).toEqual(argv);
    expect(same).not.toBe(argv); // a copy: callers edit argv[0]
  });

  it("preprocessorArgv takes the mode", () => {
    const s = scan("gcc -O2 -c a.c -o a.o");
    expect(preprocessorArgv(s)).toEqual(["gcc", "-O2", "-E", "a.c"]);
    expect(preprocessorArgv(s, "directives-only")).toEqual(["gcc", "-fdirectives-only", "-O2", "-E", "a.c"]);
  });
});
