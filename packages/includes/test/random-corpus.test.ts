// Random trees of headers spread over -iquote/-I/-isystem/-idirafter directories, included in
// every form (quote, angle, include_next, computed, symlinked names, `..`), each guarded by
// __has_include so every generated program preprocesses: the analysis must list every file gcc -M
// lists. Seeded, so a failure names the seed that reproduces it.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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

describe("include analysis on random trees", () => {
  const analyzer = new IncludeAnalyzer();
  const seeds = Array.from({ length: 40 }, (_, k) => 1000 + k);
  it.each(seeds)("seed %i: every file gcc -M lists is found", async (seed) => {
    // A tree where gcc itself fails (an include_next with no chain left, say) is no truth: the
    // next variant of the seed is taken instead.
    let variant = seed;
    let tree = generate(variant);
    let truth: Set<string> | undefined;
    for (let tries = 0; truth === undefined; tries++) {
      try {
        truth = depsOf(tree.argv, tree.cwd);
      } catch (error) {
        if (tries === 5) throw error;
        variant += 100_000;
        tree = generate(variant);
      }
    }
    const { argv, cwd } = tree;
    const result = await analyzer.analyze({ argv, cwd });
    if (!result.ok) throw new Error(`seed ${variant}: ${result.reason}`);
    const found = new Set(result.closure.files.map((f) => f.real));
    expect([...truth].filter((f) => !found.has(f))).toEqual([]);
  });
});
