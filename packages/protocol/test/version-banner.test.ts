// The two-line --version banner against what Debian's real distcc and distccd print here.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { distccVersionBanner, gnuHostTriplet } from "../src/index.js";

const firstTwoLines = (text: string): string => `${text.split("\n").slice(0, 2).join("\n")}\n`;

describe("distccVersionBanner", () => {
  for (const program of ["distcc", "distccd"] as const) {
    it(`is the first two lines of the real ${program} --version`, () => {
      const real = execFileSync(program, ["--version"], { encoding: "utf8" });
      expect(distccVersionBanner(program, [1, 2, 3])).toBe(firstTwoLines(real));
    });
  }

  it("names fewer protocols in the same shape", () => {
    const [line1, line2] = distccVersionBanner("distcc", [1, 2]).split("\n");
    expect(line1).toMatch(/^distcc [\w.-]+ [.\w-]+$/);
    expect(line2).toBe("  (protocols 1 and 2) (default port 3632)");
    expect(distccVersionBanner("distcc", [2]).split("\n")[1]).toBe("  (protocol 2) (default port 3632)");
  });

  it("spells the host the way config.guess does", () => {
    expect(gnuHostTriplet("x64", "linux")).toBe("x86_64-pc-linux-gnu");
    expect(gnuHostTriplet("arm64", "linux")).toBe("aarch64-unknown-linux-gnu");
    expect(gnuHostTriplet("ia32", "linux")).toBe("i686-pc-linux-gnu");
  });
});
