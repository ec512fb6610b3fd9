import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { expandResponseFiles, ResponseFileError, splitResponseFile } from "./response-files.js";

describe("splitResponseFile (libiberty buildargv)", () => {
  const cases: Array<[string, string[]]> = [
    ["", []],
    [" \t\n\r\v\f", []],
    ["-O2 -c hello.c", ["-O2", "-c", "hello.c"]],
    ["  -O2\n\n-c\thello.c  \n", ["-O2", "-c", "hello.c"]],
    ["'a b' \"c d\"", ["a b", "c d"]],
    ["'it''s'", ["its"]],
    ['"say \\"hi\\""', ['say "hi"']],
    ["'back\\'slash'", ["back'slash"]],
    ["a\\ b", ["a b"]],
    ["a\\\\b", ["a\\b"]],
    ["''", [""]],
    ["x '' y", ["x", "", "y"]],
    ['-DX="1 2"', ["-DX=1 2"]],
    ["unterminated 'quote here", ["unterminated", "quote here"]],
    ["trailing\\", ["trailing"]],
    ["before\0after", ["before"]],
  ];
  for (const [text, words] of cases) {
    it(JSON.stringify(text), () => expect(splitResponseFile(text)).toEqual(words));
  }

  it("gives back any word list quoted the way gcc writes response files", () => {
    // gcc's writeargv: backslash before whitespace, quotes and backslashes.
    const quote = (w: string) => (w === "" ? "''" : w.replace(/[\s'"\\]/g, (c) => `\\${c}`));
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-ascii" }).filter((w) => !w.includes("\0"))), (words) => {
        expect(splitResponseFile(words.map(quote).join(" "))).toEqual(words);
      }),
    );
  });
});

describe("expandResponseFiles", () => {
  const dir = makeTempDir("args-rsp-");
  afterAll(() => dir.remove());
  writeFileSync(join(dir.path, "args.rsp"), "-O2 -c hello.c -o hello.o\n");
  writeFileSync(join(dir.path, "outer.rsp"), "-Wall @inner.rsp -g");
  writeFileSync(join(dir.path, "inner.rsp"), "-DINNER 'x y'");
  writeFileSync(join(dir.path, "empty.rsp"), "  \n");
  writeFileSync(join(dir.path, "self.rsp"), "-x @self.rsp");
  mkdirSync(join(dir.path, "adir.rsp"));

  const expand = (argv: string[]) => expandResponseFiles(argv, undefined, dir.path);

  it("replaces @file by its words", () => {
    expect(expand(["gcc", "@args.rsp"])).toEqual(["gcc", "-O2", "-c", "hello.c", "-o", "hello.o"]);
  });
  it("expands nested files in place", () => {
    expect(expand(["gcc", "-c", "@outer.rsp", "x.c"])).toEqual(["gcc", "-c", "-Wall", "-DINNER", "x y", "-g", "x.c"]);
  });
  it("an empty file gives no words", () => {
    expect(expand(["gcc", "@empty.rsp", "-c"])).toEqual(["gcc", "-c"]);
  });
  it("leaves a missing file, a directory and a bare @ as they are", () => {
    expect(expand(["gcc", "@missing.rsp", "@adir.rsp", "@", "-c"])).toEqual([
      "gcc",
      "@missing.rsp",
      "@adir.rsp",
      "@",
      "-c",
    ]);
  });
  it("never expands argv[0]", () => {
    expect(expand(["@args.rsp", "-c"])).toEqual(["@args.rsp", "-c"]);
  });
  it("resolves absolute names too", () => {
    expect(expand(["gcc", `@${join(dir.path, "inner.rsp")}`])).toEqual(["gcc", "-DINNER", "x y"]);
  });
  it("stops a file that includes itself with a typed error", () => {
    expect(() => expand(["gcc", "@self.rsp"])).toThrow(ResponseFileError);
    try {
      expand(["gcc", "@self.rsp"]);
    } catch (e) {
      expect((e as ResponseFileError).code).toBe("DISTCC_ERR_RESPONSE_FILE_LOOP");
    }
  });
  it("uses the injected reader", () => {
    const seen: string[] = [];
    const out = expandResponseFiles(
      ["gcc", "@v.rsp"],
      (p) => {
        seen.push(p);
        return "-c v.c";
      },
      "/virtual",
    );
    expect(out).toEqual(["gcc", "-c", "v.c"]);
    expect(seen).toEqual(["/virtual/v.rsp"]);
  });
  it("returns a copy when there is nothing to expand", () => {
    const argv = ["gcc", "-c", "x.c"];
    const out = expand(argv);
    expect(out).toEqual(argv);
    expect(out).not.toBe(argv);
  });
});
