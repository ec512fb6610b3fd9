import { describe, expect, it } from "vitest";
import {
  abiFromClangCc1,
  abiFromGccTargetHelp,
  abiFromMacros,
  parseClangCc1Args,
  parseDriverBanner,
  parseGccTargetHelp,
  parseMacroDump,
} from "./probe-output.js";

// Excerpts of real output (gcc 12 / clang 14 on Debian 12), trimmed.
const GXX_BANNER = `Using built-in specs.
COLLECT_GCC=g++
Target: x86_64-linux-gnu
Configured with: ../src/configure -v --with-pkgversion='Debian 12.2.0-14' --with-arch-32=i686
Thread model: posix
gcc version 12.2.0 (Debian 12.2.0-14)
 /usr/lib/gcc/x86_64-linux-gnu/12/collect2 -plugin x -o /dev/null /dev/null "-lstdc++" -lm -lgcc_s -lgcc -lc -lgcc_s -lgcc
`;
const CLANGXX_BANNER = `Debian clang version 14.0.6
Target: x86_64-pc-linux-gnu
Thread model: posix
InstalledDir: /usr/bin
 "/usr/bin/ld" "-pie" "-o" "/dev/null" "/dev/null" "-lstdc++" "-lm" "-lgcc_s" "-lgcc" "-lc"
`;
const ARMHF_HELP = `The following options are target specific:
  -mabi=                      		aapcs-linux
  -march=                     		armv7-a+fp
  -marm                       		[disabled]
  -mbig-endian                		[disabled]
  -mcpu=                      		
  -mfloat-abi=                		hard
  -mfpu=                      		auto
  -mthumb                     		[enabled]
  -mtune=                     		

  Known ARM CPUs (for use with the -mcpu= and -mtune= options):
    arm1020e arm1020t arm1022e
`;

describe("parseDriverBanner", () => {
  it("gcc and g++: family, version, target, kind by the C++ runtime on the link line", () => {
    expect(parseDriverBanner(GXX_BANNER)).toMatchObject({
      family: "gcc",
      version: "12.2.0",
      target: "x86_64-linux-gnu",
      kind: "c++",
    });
    expect(parseDriverBanner(GXX_BANNER.replace('"-lstdc++" ', ""))).toMatchObject({ kind: "c" });
    expect(parseDriverBanner(GXX_BANNER)?.configuredWith).toMatch(/^\.\.\/src\/configure -v/);
  });
  it("clang (vendor-prefixed version line), clang++", () => {
    expect(parseDriverBanner(CLANGXX_BANNER)).toMatchObject({
      family: "clang",
      version: "14.0.6",
      target: "x86_64-pc-linux-gnu",
      kind: "c++",
    });
    expect(
      parseDriverBanner("Apple clang version 15.0.0 (clang-1500.1.0.2.5)\nTarget: arm64-apple-darwin23.1.0\n"),
    ).toMatchObject({ family: "clang", version: "15.0.0", kind: "c" });
    expect(parseDriverBanner(CLANGXX_BANNER.replace(/"-lstdc\+\+"/, '"-lc++"'))?.kind).toBe("c++");
  });
  it("anything else is not a compiler banner", () => {
    expect(parseDriverBanner("")).toBeUndefined();
    expect(parseDriverBanner("hello\n")).toBeUndefined();
    expect(parseDriverBanner("Target: x86_64-linux-gnu\ntcc version 0.9.27\n")).toBeUndefined();
    expect(parseDriverBanner("gcc version 12.2.0\n")).toBeUndefined();
  });
});

describe("gcc -Q --help=target", () => {
  it("reads the ABI defaults and ignores the CPU lists", () => {
    const table = parseGccTargetHelp(ARMHF_HELP);
    expect(table.get("-march=")).toBe("armv7-a+fp");
    expect(table.get("-mcpu=")).toBe("");
    expect(abiFromGccTargetHelp(table)).toEqual({ arch: "armv7-a+fp", fpu: "auto", floatAbi: "hard", mode: "thumb" });
  });
});

describe("predefined macros", () => {
  it("endianness, pointer size, ARM float ABI and mode", () => {
    const armhf = parseMacroDump(
      "#define __arm__ 1\n#define __thumb__ 1\n#define __ARM_PCS_VFP 1\n#define __SIZEOF_POINTER__ 4\n#define __BYTE_ORDER__ __ORDER_LITTLE_ENDIAN__\n",
    );
    expect(abiFromMacros(armhf)).toEqual({ endian: "little", pointerBits: 32, floatAbi: "hard", mode: "thumb" });
    const armel = parseMacroDump(
      "#define __arm__ 1\n#define __SOFTFP__ 1\n#define __SIZEOF_POINTER__ 4\n#define __BYTE_ORDER__ __ORDER_BIG_ENDIAN__\n",
    );
    expect(abiFromMacros(armel)).toEqual({ endian: "big", pointerBits: 32, floatAbi: "soft", mode: "arm" });
    const softfp = parseMacroDump("#define __arm__ 1\n#define __SIZEOF_POINTER__ 4\n");
    expect(abiFromMacros(softfp).floatAbi).toBe("softfp");
    expect(abiFromMacros(parseMacroDump("#define __SIZEOF_POINTER__ 8\n"))).toEqual({
      endian: "little",
      pointerBits: 64,
    });
  });
});

describe("clang cc1 line", () => {
  it("cpu, float ABI, FPU from target features", () => {
    const line =
      ' "/usr/lib/llvm-14/bin/clang" "-cc1" "-triple" "armv7-unknown-linux-gnueabihf" "-target-cpu" "generic" "-target-feature" "+vfp3d16" "-target-feature" "-neon" "-mfloat-abi" "hard"';
    const args = parseClangCc1Args(`clang version 14\n${line}\n`);
    expect(args.slice(0, 3)).toEqual(["/usr/lib/llvm-14/bin/clang", "-cc1", "-triple"]);
    expect(abiFromClangCc1(args, "armv7-unknown-linux-gnueabihf")).toEqual({
      cpu: "generic",
      floatAbi: "hard",
      arch: "armv7",
      fpu: "vfp3d16",
    });
    expect(
      abiFromClangCc1(
        parseClangCc1Args('"clang" "-cc1" "-target-cpu" "x86-64" "-tune-cpu" "generic"'),
        "x86_64-pc-linux-gnu",
      ),
    ).toEqual({ cpu: "x86-64", tune: "generic" });
  });
});
