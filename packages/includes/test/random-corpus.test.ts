// Random trees of headers spread over -iquote/-I/-isystem/-idirafter directories, included in
// every form (quote, angle, include_next, computed, symlinked names, `..`), each guarded by
// __has_include so every generated program preprocesses: the analysis must list every file gcc -M
// lists. Seeded, so a failure names the seed that reproduces it.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IncludeAnalyzer } from "../src/index.js";
import { depsOf } from "./truth.js";
import { mulberry32 } from "@x/distcc-scheduler/sim";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const DIR_ROLES = ["-iquote", "-I", "-I", "-isystem", "-idirafter"] as const;

function generate(seed: number): { argv: string[]; cwd: string } {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const root = mkdtempSync(join(tmpdir(), `includes-random-${seed}-`));
  roots.push(root);
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const dirs = DIR_ROLES.map((role, k) => ({ role, path: `d${k}` }));
  const names = Array.from({ length: 8 }, (_, k) => (rand() < 0.3 ? `sub/h${k}.h` : `h${k}.h`));
  const placed: string[] = [];
  for (const name of names) {
    // A name lives in one to three directories (shadowing, for include_next), or beside the source.
    const homes =
      rand() < 0.2 ? ["src"] : [...new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(dirs).path))];
    for (const home of homes) placed.push(`${home}/${name}`);
  }
  const body = (): string => {
    const lines = ["#pragma once"];
    const count = Math.floor(rand() * 4);
    for (let k = 0; k < count; k++) {
      const name = pick(names);
      const form = rand();
      if (form < 0.3) lines.push(`#if __has_include("${name}")`, `#include "${name}"`, "#endif");
      else if (form < 0.55) lines.push(`#if __has_include(<${name}>)`, `#include <${name}>`, "#endif");
      else if (form < 0.75) lines.push(`#if __has_include_next(<${name}>)`, `#include_next <${name}>`, "#endif");
      else if (form < 0.9) {
        const macro = `M${Math.floor(rand() * 1e9)}`;
        lines.push(`#define ${macro} <${name}>`, `#if __has_include(${macro})`, `#include ${macro}`, "#endif");
      } else lines.push(`#if __has_include("../src/${name}")`, `#include "../src/${name}"`, "#endif");
    }
    return `${lines.join("\n")}\n`;
  };
  for (const file of placed) write(file, body());
  write("src/main.c", `${body()}int main(void) { return 0; }\n`);
  // Some directories are reached through a symlink.
  const argv = ["gcc", "-c", "main.c"];
  for (const d of dirs) {
    mkdirSync(join(root, d.path), { recursive: true });
    let path = join(root, d.path);
    if (rand() < 0.3) {
      symlinkSync(path, `${path}-link`);
      path = `${path}-link`;
    }
    argv.push(d.role, path);
  }
  return { argv, cwd: join(root, "src") };
}

/**
 * The tree of `seed` and what gcc -M says it reads. A tree where gcc itself fails (an include_next
 * with no chain left, say) is no truth: the next variant of the seed is taken instead.
 */
function acceptedTree(seed: number): { argv: string[]; cwd: string; variant: number; truth: Set<string> } {
  let variant = seed;
  for (let tries = 0; ; tries++) {
    const tree = generate(variant);
    try {
      return { ...tree, variant, truth: depsOf(tree.argv, tree.cwd) };
    } catch (error) {
      if (tries === 5) throw error;
      variant += 100_000;
    }
  }
}

describe("include analysis on random trees", () => {
  const analyzer = new IncludeAnalyzer();
  const seeds = Array.from({ length: 40 }, (_, k) => 1000 + k);
  it.each(seeds)("seed %i: every file gcc -M lists is found", async (seed) => {
    const { argv, cwd, variant, truth } = acceptedTree(seed);
    const result = await analyzer.analyze({ argv, cwd });
    if (!result.ok) throw new Error(`seed ${variant}: ${result.reason}`);
    const found = new Set(result.closure.files.map((f) => f.real));
    expect([...truth].filter((f) => !found.has(f))).toEqual([]);
  });
});

describe("include analysis on random trees that change between compiles (one analyzer, its caches kept)", () => {
  const analyzer = new IncludeAnalyzer();
  const seeds = Array.from({ length: Number(process.env.MUTATING_SEEDS ?? 60) }, (_, k) => 5000 + k);
  let changesChecked = 0;
  it.each(seeds)("seed %i: after each change, every file gcc -M lists is found", async (seed) => {
    const { argv, cwd, variant } = acceptedTree(seed);
    const root = dirname(cwd);
    const rand = mulberry32(seed * 7 + 1);
    const headers = (): string[] =>
      (readdirSync(root, { recursive: true }) as string[]).filter((p) => p.endsWith(".h")).sort();
    // Listings are kept only once settled: make every directory look old, as a tree checked out earlier.
    const old = new Date(Date.now() - 60_000);
    for (const dir of readdirSync(root, { recursive: true }) as string[])
      if (statSync(join(root, dir)).isDirectory()) utimesSync(join(root, dir), old, old);
    utimesSync(root, old, old);
    for (let round = 0; round < 6; round++) {
      if (round > 0) {
        const all = headers();
        const some = all[Math.floor(rand() * all.length)]!;
        const change = rand();
        if (change < 0.25) rmSync(join(root, some));
        else if (change < 0.5) {
          // The same name again, in a directory searched earlier or later (it may shadow the old one).
          const dir = `d${Math.floor(rand() * 5)}`;
          const name = some.replace(/^[^/]+\//, "");
          mkdirSync(dirname(join(root, dir, name)), { recursive: true });
          writeFileSync(
            join(root, dir, name),
            `#pragma once\n#if __has_include(<h${round}.h>)\n#include <h${round}.h>\n#endif\n`,
          );
        } else if (change < 0.75) {
          const other = `h${Math.floor(rand() * 8)}.h`;
          writeFileSync(join(root, some), `#pragma once\n#if __has_include("${other}")\n#include "${other}"\n#endif\n`);
        } else {
          const link = (readdirSync(root) as string[]).find((n) => n.endsWith("-link"));
          if (link) {
            rmSync(join(root, link));
            symlinkSync(join(root, `d${Math.floor(rand() * 5)}`), join(root, link));
          }
        }
        writeFileSync(join(cwd, "main.o"), `object ${round}\n`); // the source directory changes too
      }
      let truth: Set<string>;
      try {
        truth = depsOf(argv, cwd);
      } catch {
        continue; // this change left a tree gcc itself refuses: no truth this round
      }
      const result = await analyzer.analyze({ argv, cwd });
      if (!result.ok) throw new Error(`seed ${variant} round ${round}: ${result.reason}`);
      const found = new Set(result.closure.files.map((f) => f.real));
      expect(
        [...truth].filter((f) => !found.has(f)),
        `seed ${variant} round ${round}`,
      ).toEqual([]);
      if (round > 0) changesChecked++;
    }
  });

  it("checked most changes against gcc (a change gcc itself refuses has no truth)", () => {
    expect(changesChecked).toBeGreaterThan(seeds.length * 5 * 0.6);
  });
});
