// The repository stands alone: nothing it runs or documents reaches for files outside the clone
// (the workplace's read-only `shared/` folder beside it, or an absolute path of one machine).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, vectorPath } from "../src/index.js";

/** Tracked text files, with what they must not say. */
function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && !f.startsWith("packages/testkit/vectors/") && !/\.(bin|raw|lzo|lz4|png|tgz)$/.test(f));
}

// `../shared/...`, `/work/shared`, `/work/main`: the places a checkout on the developers' machine
// could see and a user's clone cannot.
const OUTSIDE = /(\.\.\/shared\/|\/work\/(shared|main)\b|SHARED_DIR)/;

describe("a bare clone", () => {
  it("keeps the captured vectors inside the repository", () => {
    expect(existsSync(vectorPath("MANIFEST.md"))).toBe(true);
    expect(existsSync(vectorPath("captures", "p2-hello-c.c2s.bin"))).toBe(true);
    expect(vectorPath().startsWith(repoRoot)).toBe(true);
  });

  it("names no path outside the repository in code, config or docs", () => {
    const offenders: string[] = [];
    for (const file of trackedFiles()) {
      if (file === "packages/testkit/test/standalone.test.ts") continue;
      const path = join(repoRoot, file);
      if (!existsSync(path)) continue;
      const text = readFileSync(path, "utf8");
      text.split("\n").forEach((line, i) => {
        if (OUTSIDE.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
