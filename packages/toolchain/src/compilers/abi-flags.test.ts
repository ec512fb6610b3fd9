import { describe, expect, it } from "vitest";
import { abiAdjustment, abiImpliedByTriple } from "./abi-flags.js";
import type { CompilerAbi } from "./identity.js";
import { debianTriple, installHint } from "./install-hint.js";
import { normalizeTriple } from "./triples.js";

const debianArmhf: CompilerAbi = {
  arch: "armv7-a+fp",
  fpu: "auto",
  floatAbi: "hard",
  mode: "thumb",
  endian: "little",
  pointerBits: 32,
};

describe("abiAdjustment", () => {
  it("only fields the client states are compared, each difference becomes its flag", () => {
    expect(abiAdjustment({}, debianArmhf)).toEqual({ flags: [], blockers: [] });
    expect(abiAdjustment({ arch: "armv6", fpu: "vfp", floatAbi: "hard", mode: "arm" }, debianArmhf)).toEqual({
      flags: ["-march=armv6", "-mfpu=vfp", "-marm"],
      blockers: [],
    });
    expect(
      abiAdjustment({ cpu: "cortex-a7", tune: "cortex-a7", floatAbi: "softfp", mode: "thumb" }, debianArmhf).flags,
    ).toEqual(["-mcpu=cortex-a7", "-mtune=cortex-a7", "-mfloat-abi=softfp"]);
  });
  it("endianness and pointer size cannot be fixed by a flag", () => {
    expect(abiAdjustment({ endian: "big", pointerBits: 64 }, debianArmhf).blockers).toEqual([
      "little-endian instead of big-endian",
      "32-bit pointers instead of 64-bit",
    ]);
  });
});

describe("abiImpliedByTriple", () => {
  it.each([
    ["armv6j-hardfloat-linux-gnueabi", { arch: "armv6", fpu: "vfp", floatAbi: "hard", mode: "arm" }],
    ["armv6-rpi-linux-gnueabi", { arch: "armv6", fpu: "vfp", floatAbi: "hard", mode: "arm" }],
    ["armv6kz-linux-gnueabihf", { arch: "armv6kz", fpu: "vfp", floatAbi: "hard", mode: "arm" }],
    ["armv7a-hardfloat-linux-gnueabi", { arch: "armv7-a+fp", floatAbi: "hard" }],
    ["armv7-unknown-linux-gnueabi", { arch: "armv7-a" }],
    ["armv5tel-softfloat-linux-gnueabi", { arch: "armv5te", mode: "arm" }],
    ["arm-linux-gnueabihf", { floatAbi: "hard" }],
    ["arm-linux-gnueabi", {}],
    ["x86_64-pc-linux-gnu", {}],
    ["aarch64-linux-gnu", {}],
  ])("%s", (triple, abi) => {
    expect(abiImpliedByTriple(normalizeTriple(triple))).toEqual(abi);
  });
});

describe("installHint", () => {
  it.each([
    ["arm-linux-gnueabihf", "gcc", "c", "apt-get install gcc-arm-linux-gnueabihf"],
    ["armv6j-hardfloat-linux-gnueabi", "gcc", "c++", "apt-get install g++-arm-linux-gnueabihf"],
    ["aarch64-unknown-linux-gnu", "gcc", "c", "apt-get install gcc-aarch64-linux-gnu"],
    ["i586-pc-linux-gnu", "gcc", "c", "apt-get install gcc-i686-linux-gnu"],
    ["x86_64-linux-gnux32", "gcc", "c", "apt-get install gcc-x86-64-linux-gnux32"],
    ["arm-none-eabi", "gcc", "c", "apt-get install gcc-arm-none-eabi"],
  ] as const)("%s %s %s", (triple, family, kind, hint) => {
    expect(installHint(triple, family, kind)).toBe(hint);
  });
  it("no package: says how to build one and where to put it", () => {
    expect(installHint("armv7-acme-linux-musleabihf", "gcc", "c")).toMatch(/crosstool-NG.*x-tools/);
    expect(installHint("aarch64-linux-gnu", "clang", "c")).toMatch(/^apt-get install clang/);
    expect(debianTriple("armv6j-hardfloat-linux-gnueabi")).toBe("arm-linux-gnueabihf");
  });
});
