import { describe, expect, it } from "vitest";
import { glibcRandom } from "../src/index.js";

describe("glibcRandom", () => {
  it("reproduces glibc's srand(1) / rand() sequence", () => {
    const random = glibcRandom(1);
    const first = Array.from({ length: 5 }, () => random() * 2 ** 31);
    expect(first).toEqual([1804289383, 846930886, 1681692777, 1714636915, 1957747793]);
  });

  it("treats seed 0 as 1, like glibc", () => {
    expect(glibcRandom(0)()).toBe(glibcRandom(1)());
  });
});
