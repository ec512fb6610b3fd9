import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { scanArgs, type DistributableScan } from "@x/distcc-toolchain";
import { preparePreprocessedRun } from "./local-preprocessed.js";

function scan(argv: string[]): DistributableScan {
  const s = scanArgs(argv, { cwd: "/src", env: {} });
  if (!s.distributable) throw new Error("not distributable");
  return s;
}

describe("preparePreprocessedRun", () => {
  const tmp = makeTempDir("client-local-pp-");
  afterAll(() => tmp.remove());

  it("compiles the preprocessor's output with the server's command (no preprocessor options), same output", () => {
    const run = preparePreprocessedRun(
      tmp.path,
      7,
      scan(["gcc", "-O2", "-MMD", "-Iinclude", "-DX=1", "-c", "src/a.c", "-o", "obj/a.o"]),
      Buffer.from("int x;\n"),
      "full",
    );
    expect(run).toBeDefined();
    const file = run!.argv.find((a) => a.endsWith(".i"))!;
    expect(run!.argv).toEqual(["gcc", "-O2", "-c", file, "-o", "obj/a.o"]);
    expect(readFileSync(file, "utf8")).toBe("int x;\n");
    run!.remove();
    expect(existsSync(file)).toBe(false);
  });

  it("C++ gets a .ii; an explicit -x or an input already preprocessed keeps the source run", () => {
    const cxx = preparePreprocessedRun(tmp.path, 8, scan(["g++", "-c", "b.cc"]), Buffer.from(""), "full");
    expect(cxx!.argv.some((a) => a.endsWith(".ii"))).toBe(true);
    cxx!.remove();
    expect(
      preparePreprocessedRun(tmp.path, 9, scan(["gcc", "-x", "c", "-c", "b.c"]), Buffer.from(""), "full"),
    ).toBeUndefined();
    expect(preparePreprocessedRun(tmp.path, 10, scan(["gcc", "-c", "b.i"]), Buffer.from(""), "full")).toBeUndefined();
  });

  it("output preprocessed directives-only is compiled with -fdirectives-only (gcc would not expand its macros)", () => {
    const run = preparePreprocessedRun(
      tmp.path,
      11,
      scan(["gcc", "-O2", "-DX=1", "-c", "src/a.c", "-o", "obj/a.o"]),
      Buffer.from("#define X 1\nint x = X;\n"),
      "directives-only",
    );
    const file = run!.argv.find((a) => a.endsWith(".i"))!;
    expect(run!.argv).toEqual(["gcc", "-fdirectives-only", "-O2", "-c", file, "-o", "obj/a.o"]);
    run!.remove();
  });
});
