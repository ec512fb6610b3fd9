import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { argsWithinBwrapLimit, BWRAP_ARG_ROOM } from "./response-file.js";

const dir = mkdtempSync(join(tmpdir(), "rsp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const many = (extra: string[]): string[] => [...Array.from({ length: BWRAP_ARG_ROOM }, (_, i) => `-DD${i}`), ...extra];

describe("the response file for a command past bubblewrap's limit", () => {
  it("holds every word, escaped, when both tokenizers read it back the same", () => {
    const sub = mkdtempSync(join(dir, "ok-"));
    const args = many(["-DT=a b'c\\\"d", "-c", "x.c"]);
    const out = argsWithinBwrapLimit(args, sub);
    expect(out).toHaveLength(1);
    const text = readFileSync(out[0]!.slice(1), "utf8");
    expect(text.split("\n")).toContain("-DT=a\\ b\\'c\\\\\\\"d");
  });

  it("is not written for an empty word or a line end (clang drops an empty word: every later word would shift)", () => {
    for (const odd of ["", "-DX=a\nb", "-DX=a\rb"]) {
      const sub = mkdtempSync(join(dir, "odd-"));
      const args = many(["-D", odd, "-D", "-fplugin=./p.so", "-c", "x.c"]);
      expect(argsWithinBwrapLimit(args, sub)).toBe(args);
    }
  });
});
