import { describe, expect, it } from "vitest";
import { sideOutputOption } from "./side-outputs.js";

describe("sideOutputOption", () => {
  it("names the option that writes a file besides the output", () => {
    const cases: [string[], string][] = [
      [["-g", "-gsplit-dwarf"], "-gsplit-dwarf"],
      [["-fstack-usage"], "-fstack-usage"],
      [["-fcallgraph-info=su"], "-fcallgraph-info=su"],
      [["-fdump-tree-original"], "-fdump-tree-original"],
      [["-fopt-info-vec=x.opt"], "-fopt-info-vec=x.opt"],
      [["-save-temps=obj"], "-save-temps=obj"],
      [["-aux-info", "x.aux"], "-aux-info"],
      [["-MJ", "x.json"], "-MJ"],
    ];
    for (const [opts, want] of cases)
      expect(sideOutputOption(["gcc", ...opts, "-c", "x.c", "-o", "x.o"]), want).toBe(want);
  });

  it("nothing for options that only print, or write the output alone", () => {
    for (const opts of [
      ["-fdump-passes"],
      ["-fopt-info-vec"],
      ["-gsplit-dwarf=single"],
      ["-g", "-O2", "-MD", "-MF", "x.d"],
      ["-ftime-report"],
    ]) {
      expect(sideOutputOption(["gcc", ...opts, "-c", "x.c", "-o", "x.o"]), opts.join(" ")).toBeUndefined();
    }
  });
});
