import { describe, expect, it } from "vitest";
import { scanDirectives } from "./directives.js";

const names = (text: string) =>
  scanDirectives(text).includes.map(
    (d) => `${d.kind} ${d.operand.form === "computed" ? d.operand.text : d.operand.name}`,
  );

describe("scanDirectives", () => {
  it("reads both operand forms and the include variants", () => {
    expect(names('#include "a.h"\n  #  include <b.h>\n#include_next <c.h>\n#import "d.h"\n')).toEqual([
      "include a.h",
      "include b.h",
      "include_next c.h",
      "import d.h",
    ]);
  });

  it("takes a directive after a comment at the line start, and across line splices", () => {
    expect(names('/* lead */ #include "a.h"\n#inc\\\nlude "b.\\\nh"\n#\\\n include <c.h>\n')).toEqual([
      "include a.h",
      "include b.h",
      "include c.h",
    ]);
  });

  it("ignores what comments and literals hide", () => {
    const text = [
      "/*",
      '#include "in-comment.h"',
      "*/",
      '// #include "line-comment.h"',
      'const char *s = "/* not a comment";',
      '#include "after-string.h"',
      "char c = '\"';",
      '#include "after-char.h"',
      'const char *r = R"x(',
      '#include "in-raw-string.h" )" still raw',
      ')x";',
      '#include "after-raw.h"',
      "int n = 1'000'000; /* digit separators */",
      '#include "after-number.h"',
      'x = a /* "quote in comment */; #include "not-at-line-start.h"',
    ].join("\n");
    expect(names(text)).toEqual([
      "include after-string.h",
      "include after-char.h",
      "include after-raw.h",
      "include after-number.h",
    ]);
  });

  it("keeps computed operands and every __has_include probe", () => {
    const text = [
      '#define H "x.h"',
      "#include H",
      '#if __has_include(<y.h>) && __has_include_next("z.h")',
      "#endif",
      "#define HAS __has_include(<w.h>)",
      '#pragma GCC dependency "dep.h"',
    ].join("\n");
    expect(names(text)).toEqual([
      "include H",
      "has_include y.h",
      "has_include_next z.h",
      "has_include w.h",
      "dependency dep.h",
    ]);
    expect(scanDirectives(text).defines.map((d) => d.name)).toEqual(["H", "HAS"]);
  });

  it("reads function-like definitions with their parameters", () => {
    const { defines } = scanDirectives("#define STR(x) #x\n#define CAT(a, b) a##b\n#define OBJ (1)\n");
    expect(defines).toEqual([
      { name: "STR", params: ["x"], body: "#x" },
      { name: "CAT", params: ["a", "b"], body: "a##b" },
      { name: "OBJ", body: "(1)" },
    ]);
  });
});
