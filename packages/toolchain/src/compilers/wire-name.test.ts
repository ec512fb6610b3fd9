import { describe, expect, it } from "vitest";
import { probeCompiler } from "./probe.js";
import { ToolchainIndex } from "./toolchain-index.js";
import { wireCompilerName } from "./wire-name.js";

const gcc = { family: "gcc", kind: "c", target: "arm-linux-gnueabihf" } as const;
const gxx = { family: "gcc", kind: "c++", target: "x86_64-linux-gnu" } as const;
const clang = { family: "clang", kind: "c", target: "aarch64-unknown-linux-gnu" } as const;

describe("wireCompilerName (the client's rewrite of plain names)", () => {
  it.each([
    ["gcc", gcc, [], "arm-linux-gnueabihf-gcc", []],
    ["cc", gcc, [], "arm-linux-gnueabihf-gcc", []],
    ["/usr/bin/gcc", gcc, [], "arm-linux-gnueabihf-gcc", []],
    ["gcc-12", gcc, [], "arm-linux-gnueabihf-gcc-12", []],
    ["c++", gxx, [], "x86_64-linux-gnu-g++", []],
    ["g++-12", gxx, [], "x86_64-linux-gnu-g++-12", []],
    ["armv6j-hardfloat-linux-gnueabi-gcc", gcc, [], "armv6j-hardfloat-linux-gnueabi-gcc", []],
    ["c89-gcc", gcc, [], "c89-gcc", []],
    ["clang", clang, [], "clang", ["-target", "aarch64-unknown-linux-gnu"]],
    ["clang-14", clang, ["-c", "x.c"], "clang-14", ["-target", "aarch64-unknown-linux-gnu"]],
    ["cc", { ...clang, kind: "c++" }, [], "clang++", ["-target", "aarch64-unknown-linux-gnu"]],
    ["clang", clang, ["--target=armv7-linux-gnueabihf"], "clang", []],
    ["clang", clang, ["-target", "x86_64-linux-gnu"], "clang", []],
  ] as const)("%s -> %s", (requested, identity, args, name, extraArgs) => {
    expect(wireCompilerName(requested, identity, args)).toEqual({ name, extraArgs });
  });

  it("round trip: the rewritten name of each installed compiler resolves to a compiler of the same identity", async () => {
    const index = await ToolchainIndex.discover({ pathDirs: ["/usr/bin"], masqueradeDir: null, crossDirs: false });
    for (const requested of ["gcc", "g++", "cc", "c++", "arm-linux-gnueabihf-gcc", "clang"]) {
      const id = await probeCompiler(requested);
      const wire = wireCompilerName(requested, id);
      const r = index.resolveName(wire.name);
      expect(r?.identity.target, requested).toBe(id.target);
      expect(r?.identity.kind, requested).toBe(id.kind);
    }
  });
});
