import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandWpOptions } from "./wp-options.js";

describe("expandWpOptions (dcc_expand_preprocessor_options)", () => {
  const cases: Array<[string[], string[]]> = [
    [
      ["gcc", "-Wp,-MD,dep.d", "-c", "x.c"],
      ["gcc", "-MD", "-MF", "dep.d", "-c", "x.c"],
    ],
    [
      ["gcc", "-Wp,-MMD,dep.d"],
      ["gcc", "-MMD", "-MF", "dep.d"],
    ],
    [
      ["gcc", "-Wp,-DX,-UY"],
      ["gcc", "-DX", "-UY"],
    ],
    [
      ["gcc", "-Wp,-MD,f,-DX"],
      ["gcc", "-MD", "-MF", "f", "-DX"],
    ],
    [
      ["gcc", "-Wp,-MD"],
      ["gcc", "-MD"],
    ],
    [
      ["gcc", "-Wp,-MD,"],
      ["gcc", "-MD", "-MF", ""],
    ],
    [
      ["gcc", "-Wp,"],
      ["gcc", ""],
    ],
    [
      ["gcc", "-Wp,a,,b"],
      ["gcc", "a", "", "b"],
    ],
    [
      ["gcc", "-Wp,-MD,a.d", "-Wp,-MMD,b.d"],
      ["gcc", "-MD", "-MF", "a.d", "-MMD", "-MF", "b.d"],
    ],
    [
      ["gcc", "-Wpx", "-W,p"],
      ["gcc", "-Wpx", "-W,p"],
    ],
  ];
  for (const [input, output] of cases) {
    it(input.join(" "), () => expect(expandWpOptions(input)).toEqual(output));
  }

  it("only ever touches -Wp, words", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (argv) => {
        const plain = argv.filter((a) => !a.startsWith("-Wp,"));
        const out = expandWpOptions(plain);
        expect(out).toEqual(plain);
      }),
    );
  });
});
