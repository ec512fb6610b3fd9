import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TripleAliasError } from "./errors.js";
import { normalizeTriple, normalizeTripleWithAliases, parseTripleAliases, triplesMatch } from "./triples.js";

// The tables of docs/triples.md are the golden data: the doc cannot drift from the code.
const doc = readFileSync(fileURLToPath(new URL("../../../../docs/triples.md", import.meta.url)), "utf8");

function tableAfter(heading: string): string[][] {
  const start = doc.indexOf(`## ${heading}`);
  expect(start, `docs/triples.md has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of doc.slice(start).split("\n").slice(1)) {
    if (line.startsWith("## ")) break;
    if (!line.startsWith("|") || line.startsWith("|---")) continue;
    rows.push(
      line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim().replace(/^`|`$/g, "")),
    );
  }
  return rows.slice(1); // header
}

describe("normalizeTriple: the table of docs/triples.md", () => {
  const rows = tableAfter("Normalisation table");
  it("covers the Pi, Gentoo, Debian and vendor spellings of x86-64 and ARM", () => {
    const inputs = rows.map((r) => r[0]);
    for (const t of [
      "x86_64-pc-linux-gnu",
      "x86_64-linux",
      "amd64-unknown-linux-gnu",
      "arm64-linux-gnu",
      "armv6j-hardfloat-linux-gnueabi",
      "armv6-rpi-linux-gnueabi",
      "arm-linux-gnueabi",
      "arm-linux-gnueabihf",
    ]) {
      expect(inputs).toContain(t);
    }
  });
  it.each(rows)("%s", (triple, arch, subArch, vendor, os, env, floatAbi, canonical) => {
    const n = normalizeTriple(triple ?? "");
    const dash = (v: string | undefined): string => (v === undefined || v === "" ? "-" : v);
    expect([n.arch, dash(n.subArch), dash(n.vendor), n.os, dash(n.env), dash(n.floatAbi), n.canonical]).toEqual([
      arch,
      subArch,
      vendor,
      os,
      env,
      floatAbi,
      canonical,
    ]);
  });
});

describe("triplesMatch: the table of docs/triples.md", () => {
  const rows = tableAfter("Matching table");
  it.each(rows)("%s ~ %s: %s", (a, b, match) => {
    expect(triplesMatch(a ?? "", b ?? "")).toBe(match === "yes");
    expect(triplesMatch(b ?? "", a ?? "")).toBe(match === "yes");
  });
});

describe("triple properties", () => {
  const word = fc.stringMatching(/^[a-z0-9_]{1,8}$/);
  const triple = fc.array(word, { minLength: 2, maxLength: 5 }).map((w) => w.join("-"));
  it("normalisation is idempotent on the canonical form and matching is reflexive, symmetric", () => {
    fc.assert(
      fc.property(triple, triple, (a, b) => {
        const n = normalizeTriple(a);
        expect(normalizeTriple(n.canonical).canonical).toBe(n.canonical);
        expect(triplesMatch(a, a)).toBe(true);
        expect(triplesMatch(a, b)).toBe(triplesMatch(b, a));
      }),
    );
  });
  it("case and vendor never change the canonical form", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("x86_64", "aarch64", "arm", "armv7", "i686", "riscv64"),
        fc.constantFrom("pc", "unknown", "acme"),
        (arch, vendor) => {
          expect(normalizeTriple(`${arch.toUpperCase()}-${vendor}-Linux-GNU`).canonical).toBe(
            normalizeTriple(`${arch}-linux-gnu`).canonical,
          );
        },
      ),
    );
  });
});

describe("triple aliases from a configuration", () => {
  it("declare what the rules cannot know, case-insensitively, and may chain", () => {
    const aliases = parseTripleAliases({
      "ARMV6-Mycorp-linux-gnueabi": "armv6-rpi-linux-gnueabi",
      "armv6-rpi-linux-gnueabi": "arm-linux-gnueabihf",
    });
    expect(triplesMatch("armv6-mycorp-linux-gnueabi", "arm-linux-gnueabihf")).toBe(false);
    expect(triplesMatch("armv6-mycorp-linux-gnueabi", "arm-linux-gnueabihf", aliases)).toBe(true);
    // The spelled level survives the alias (it becomes -march).
    expect(normalizeTripleWithAliases("armv6-mycorp-linux-gnueabi", aliases).subArch).toBe("armv6");
  });
  it("a loop of aliases terminates", () => {
    const aliases = parseTripleAliases({ "a1-x-linux": "b1-x-linux", "b1-x-linux": "a1-x-linux" });
    expect(triplesMatch("a1-x-linux", "b1-x-linux", aliases)).toBe(false);
  });
  it("bad tables are refused with the key and the expected form", () => {
    expect(() => parseTripleAliases(["arm-linux-gnueabihf"])).toThrow(TripleAliasError);
    let err: unknown;
    try {
      parseTripleAliases({ "armv6-rpi-linux-gnueabi": "not a triple" });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "DISTCC_ERR_BAD_TRIPLE_ALIAS" });
    expect((err as Error).message).toContain("armv6-rpi-linux-gnueabi");
    expect((err as Error).message).toContain("arm-linux-gnueabihf");
  });
});
