// The directive check on preprocessed text, against real gcc and clang: each way of writing a
// file-opening directive really opens the file when a server compiles the text the way it does
// (gcc -fdirectives-only, clang), and the check finds it; a real client's output (full or
// directives-only, C and C++ with the usual system headers) passes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileOpeningDirective } from "./file-directives.js";

const dir = mkdtempSync(join(tmpdir(), "file-directives-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// A file the attack reads: its one line comes back in the compiler's errors.
const secret = join(dir, "secret.txt");
writeFileSync(secret, "SECRET_LINE_42\n");

const ATTACKS: [string, string][] = [
  [`#include "${secret}"\n`, "#include"],
  [`  #  include "${secret}"\n`, "#include"],
  [`%:include "${secret}"\n`, "#include"],
  [`#/* comment */include "${secret}"\n`, "#include"],
  [`#inc\\\nlude "${secret}"\n`, "#include"],
  [`#inc\\  \nlude "${secret}"\n`, "#include"],
  [`/* a comment\n*/ #include "${secret}"\n`, "#include"],
  [`int a; /* x */ #include "${secret}"\n`, "#include"],
  [`#include_next "${secret}"\n`, "#include_next"],
  [`#import "${secret}"\n`, "#import"],
  [`#if __has_include("${secret}")\nint yes;\n#endif\n`, "#if"],
  [`#define H(x) __has_include(x)\n#elif H("${secret}")\n`, "#elif"],
  [`#pragma GCC dependency "${secret}"\n`, "#pragma GCC dependency"],
  [`_Pragma("GCC dependency \\"${secret}\\"")\n`, "#pragma GCC dependency"],
  [`#pragma GCC pch_preprocess "${secret}"\n`, "#pragma GCC pch_preprocess"],
  [`??=include "${secret}"\n`, "#include"],
  // Comments the server cannot be sure of are looked into.
  [`const char *s = "/*";\n#include "${secret}"\n`, "#include"],
  [`char c = '"'; /*\n#include "${secret}"\n*/\n`, "#include"],
  [`// a line comment /*\n#include "${secret}"\n`, "#include"],
  [`const char *r = R"x(\n/* not a comment\n)x";\n#include "${secret}"\n`, "#include"],
];

function compile(compiler: string, args: string[], text: string): string {
  const file = join(dir, "input.i");
  writeFileSync(file, text);
  return spawnSync(compiler, [...args, "-c", file, "-o", join(dir, "out.o")], { encoding: "utf8" }).stderr;
}

describe("fileOpeningDirective", () => {
  it.each(ATTACKS)("%j is found as %s", (text, found) => {
    expect(fileOpeningDirective(Buffer.from(`int before;\n${text}int after;\n`))).toBe(found);
  });

  it("gcc without -fdirectives-only acts only on the pragmas: only they are looked for", () => {
    const opts = { directives: false };
    expect(fileOpeningDirective(Buffer.from(`#include "${secret}"\nint x;\n`), opts)).toBeUndefined();
    expect(fileOpeningDirective(Buffer.from(`#pragma GCC pch_preprocess "${secret}"\n`), opts)).toBe(
      "#pragma GCC pch_preprocess",
    );
    expect(fileOpeningDirective(Buffer.from(`#pragma GCC depend\\\nency "${secret}"\n`), opts)).toBe(
      "#pragma GCC dependency",
    );
    // ... and they are real: gcc compiling a .i opens the file they name.
    expect(compile("gcc", ["-x", "cpp-output"], `#pragma GCC dependency "${dir}/missing"\nint x;\n`)).toMatch(
      /missing: No such file/,
    );
    expect(compile("gcc", ["-x", "cpp-output"], `#pragma GCC pch_preprocess "${secret}"\nint x;\n`)).toMatch(
      /PCH file was invalid/,
    );
  });

  it("a directive inside a block comment is no directive", () => {
    expect(
      fileOpeningDirective(Buffer.from("/* Use like this:\n   #if __GNUC_PREREQ (2,8)\n#include <x.h>\n*/\nint x;\n")),
    ).toBeUndefined();
    expect(fileOpeningDirective(Buffer.from("int x; /* see\n#include <x.h> */ int y;\n"))).toBeUndefined();
  });

  it("the attacks are real: gcc -fdirectives-only and clang open the file of an #include in a .i", () => {
    const text = `#include "${secret}"\nint x;\n`;
    expect(compile("gcc", ["-x", "cpp-output", "-fdirectives-only"], text)).toContain("SECRET_LINE_42");
    expect(compile("clang", ["-x", "cpp-output"], text)).toContain("SECRET_LINE_42");
    expect(compile("gcc", ["-x", "cpp-output", "-fdirectives-only"], `%:inc\\\nlude "${secret}"\nint x;\n`)).toContain(
      "SECRET_LINE_42",
    );
    // ... while gcc without -fdirectives-only does not act on it (the server's normal case).
    expect(compile("gcc", ["-x", "cpp-output"], text)).not.toContain("SECRET_LINE_42");
  });

  const SOURCES: [string, string, string][] = [
    [
      "gcc",
      "c",
      '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <pthread.h>\n#include <sys/stat.h>\n#include <math.h>\n/* #include <x.h> in a comment mid-line */\nint main(void) { printf("#include <x>\\n"); return 0; }\n',
    ],
    [
      "g++",
      "cc",
      "#include <iostream>\n#include <vector>\n#include <map>\n#include <memory>\n#include <string>\n#include <algorithm>\n#include <thread>\nint main() { std::vector<int> v{1}; std::cout << v.size(); }\n",
    ],
  ];

  it.each(SOURCES)("%s: a real client's output passes, full and directives-only", (compiler, ext, source) => {
    const file = join(dir, `real.${ext}`);
    writeFileSync(file, source);
    for (const mode of [[], ["-fdirectives-only"]]) {
      const r = spawnSync(compiler, ["-E", ...mode, file, "-o", join(dir, "real.i")], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(fileOpeningDirective(readFileSync(join(dir, "real.i")))).toBeUndefined();
    }
  });
});
