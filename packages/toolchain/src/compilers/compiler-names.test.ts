import { describe, expect, it } from "vitest";
import { parseCompilerName } from "./compiler-names.js";

describe("parseCompilerName", () => {
  it.each([
    ["gcc", { family: "gcc", kind: "c", generic: false }],
    ["g++-12", { family: "gcc", kind: "c++", version: "12", generic: false }],
    ["cc", { family: "gcc", kind: "c", generic: true }],
    ["c++", { family: "gcc", kind: "c++", generic: true }],
    ["clang-14", { family: "clang", kind: "c", version: "14", generic: false }],
    ["clang++", { family: "clang", kind: "c++", generic: false }],
    ["x86_64-linux-gnu-gcc-12", { triple: "x86_64-linux-gnu", family: "gcc", kind: "c", version: "12" }],
    ["x86_64-linux-gnu-g++", { triple: "x86_64-linux-gnu", family: "gcc", kind: "c++" }],
    ["armv6j-hardfloat-linux-gnueabi-gcc", { triple: "armv6j-hardfloat-linux-gnueabi", kind: "c" }],
    [
      "aarch64-unknown-linux-gnu-clang++-17",
      { triple: "aarch64-unknown-linux-gnu", family: "clang", kind: "c++", version: "17" },
    ],
    ["gcc-4.9", { version: "4.9" }],
  ])("%s", (name, expected) => {
    expect(parseCompilerName(name)).toMatchObject({ name, ...expected });
  });

  it.each([
    "tcc",
    "gcc-ar",
    "gcc-ar-12",
    "x86_64-linux-gnu-gcc-nm-12",
    "c89-gcc",
    "my-gcc",
    "distcc",
    "cc-12",
    "gcc-",
    "clang-cpp-14",
    "cpp",
    "ld",
    "",
  ])("%s is not a compiler driver name", (name) => {
    expect(parseCompilerName(name)).toBeUndefined();
  });
});
