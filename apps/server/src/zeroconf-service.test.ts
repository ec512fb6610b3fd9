import { describe, expect, it } from "vitest";
import type { CompilerWhitelist } from "./whitelist.js";
import { ourTxt, servedSubtypes } from "./zeroconf-service.js";

const id = (family: "gcc" | "clang", version: string, target: string) => ({
  names: [`${target}-${family}`],
  identity: {
    family,
    kind: "c" as const,
    version,
    target,
    abi: { endian: "little" as const, pointerBits: 64 as const },
  },
});

describe("--zeroconf's subtypes", () => {
  it("one per toolchain served, native cc first; gcc under both -dumpversion spellings, clang its full version", () => {
    const whitelist: CompilerWhitelist = {
      lookupName: () => ({ ok: false, reason: "" }),
      list: () => [
        id("gcc", "12.2.0", "x86_64-linux-gnu"),
        id("gcc", "12.2.0", "arm-linux-gnueabihf"),
        id("clang", "14.0.6", "x86_64-pc-linux-gnu"),
      ],
    };
    expect(servedSubtypes(whitelist, { machine: "x86_64-linux-gnu", version: "12" })).toEqual([
      "_x86-64-linux-gnu--12",
      "_x86-64-linux-gnu--12-2-0",
      "_arm-linux-gnueabihf--12",
      "_arm-linux-gnueabihf--12-2-0",
      "_x86-64-pc-linux-gnu--14-0-6",
    ]);
  });

  it("a whitelist that cannot list (DISTCC_CMDLIST) gives the native cc's subtype only", () => {
    expect(
      servedSubtypes(
        { lookupName: () => ({ ok: false, reason: "" }) },
        { machine: "aarch64-linux-gnu", version: "12" },
      ),
    ).toEqual(["_aarch64-linux-gnu--12"]);
  });
});

describe("--zeroconf's own TXT keys", () => {
  const whitelist: CompilerWhitelist = {
    lookupName: () => ({ ok: false, reason: "" }),
    list: () => [id("gcc", "12.2.0", "x86_64-linux-gnu")],
  };

  it("x_stats names the --stats port, for mon --farm; without --stats there is none", () => {
    expect(ourTxt(whitelist, 3701)).toEqual([
      "x_server=distcc-ts",
      "x_ext=1",
      "x_stats=3701",
      "x_toolchains=x86_64-linux-gnu/gcc-12.2.0",
    ]);
    expect(ourTxt(whitelist).some((t) => t.startsWith("x_stats="))).toBe(false);
  });
});
