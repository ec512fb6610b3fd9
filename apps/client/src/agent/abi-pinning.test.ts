import { describe, expect, it } from "vitest";
import type { CompilerIdentity } from "@x/distcc-toolchain";
import { armAbiPinning } from "./abi-pinning.js";

const base = { path: "/usr/bin/x", family: "gcc", kind: "c", version: "12.2.0" } as const;
const debianArmhf: CompilerIdentity = {
  ...base,
  target: "arm-linux-gnueabihf",
  abi: { arch: "armv7-a+fp", fpu: "auto", floatAbi: "hard", mode: "thumb", endian: "little", pointerBits: 32 },
};
const raspbian: CompilerIdentity = {
  ...base,
  target: "arm-linux-gnueabihf",
  abi: { arch: "armv6+fp", fpu: "vfp", floatAbi: "hard", mode: "arm", endian: "little", pointerBits: 32 },
};

describe("armAbiPinning", () => {
  it("spells the defaults of a 32-bit ARM gcc (no -mfpu for 'auto': the arch extension carries it)", () => {
    expect(armAbiPinning(debianArmhf, ["-O2", "-c", "x.c"])).toEqual([
      "-march=armv7-a+fp",
      "-mfloat-abi=hard",
      "-mthumb",
    ]);
    expect(armAbiPinning(raspbian, [])).toEqual(["-march=armv6+fp", "-mfpu=vfp", "-mfloat-abi=hard", "-marm"]);
  });

  it("leaves every category the command line sets to the command line (the Linux kernel sets them all)", () => {
    expect(armAbiPinning(raspbian, ["-mcpu=cortex-a7", "-mfloat-abi=soft", "-mthumb"])).toEqual(["-mfpu=vfp"]);
    expect(armAbiPinning(raspbian, ["-march=armv7-a", "-mfpu=neon", "-msoft-float", "-marm"])).toEqual([]);
  });

  it("adds nothing for other targets or for clang", () => {
    expect(armAbiPinning({ ...debianArmhf, target: "aarch64-linux-gnu" }, [])).toEqual([]);
    expect(armAbiPinning({ ...debianArmhf, target: "x86_64-linux-gnu" }, [])).toEqual([]);
    expect(armAbiPinning({ ...debianArmhf, family: "clang" }, [])).toEqual([]);
  });
});
