// Real header trees against gcc -M: the C library's and the kernel's uapi headers, the whole C++
// standard library, the same through the ARM cross compiler and clang, and the demo project.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand, repoRoot } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { IncludeAnalyzer } from "../src/index.js";
import { depsOf } from "./truth.js";

const work = mkdtempSync(join(tmpdir(), "includes-real-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const C_HEADERS = [
  "stdio.h",
  "stdlib.h",
  "string.h",
  "signal.h",
  "pthread.h",
  "sys/socket.h",
  "netinet/in.h",
  "arpa/inet.h",
  "sys/stat.h",
  "fcntl.h",
  "unistd.h",
  "math.h",
  "complex.h",
  "wchar.h",
  "locale.h",
  "time.h",
  "sys/mman.h",
  "sys/epoll.h",
  "linux/netlink.h",
  "linux/if_ether.h",
  "stdatomic.h",
  "tgmath.h",
];
writeFileSync(
  join(work, "posix.c"),
  `#define _GNU_SOURCE\n${C_HEADERS.map((h) => `#include <${h}>`).join("\n")}\nint main(void) { return 0; }\n`,
);
writeFileSync(join(work, "stdcxx.cc"), "#include <bits/stdc++.h>\nint main() { return 0; }\n");

const analyzer = new IncludeAnalyzer();

async function check(argv: string[], cwd: string): Promise<number> {
  const truth = depsOf(argv, cwd);
  const result = await analyzer.analyze({ argv, cwd });
  if (!result.ok) throw new Error(result.reason);
  const found = new Set(result.closure.files.map((f) => f.real));
  expect([...truth].filter((f) => !found.has(f))).toEqual([]);
  return truth.size;
}

describe("include analysis on real trees", () => {
  it("the C library and kernel uapi headers (gcc)", async () => {
    expect(await check(["gcc", "-O2", "-c", "posix.c"], work)).toBeGreaterThan(50);
  });

  it("the whole C++ standard library (g++, two standards)", async () => {
    expect(await check(["g++", "-std=c++20", "-c", "stdcxx.cc"], work)).toBeGreaterThan(100);
    await check(["g++", "-std=gnu++11", "-O2", "-c", "stdcxx.cc"], work);
  });

  it("the ARM cross compilers' own trees", async () => {
    expect(hasCommand("arm-linux-gnueabihf-gcc")).toBe(true);
    expect(await check(["arm-linux-gnueabihf-gcc", "-march=armv7-a+fp", "-O2", "-c", "posix.c"], work)).toBeGreaterThan(
      50,
    );
    expect(await check(["aarch64-linux-gnu-gcc", "-c", "posix.c"], work)).toBeGreaterThan(50);
  });

  it("the kernel's ARM target flags, which fail in the probe unless they reach it together", async () => {
    // The kernel passes -march=armv6k with -mfloat-abi=soft to a hard-float compiler: -march alone
    // makes cc1 refuse ("selected architecture lacks an FPU") and the job would go plain.
    writeFileSync(
      join(work, "kstyle.c"),
      "#include <stdarg.h>\n#include <stddef.h>\n#include <stdint.h>\nint f(int n, ...) { return n; }\n",
    );
    const gccInclude = execFileSync("arm-linux-gnueabihf-gcc", ["-print-file-name=include"], {
      encoding: "utf8",
    }).trim();
    const argv = [
      "arm-linux-gnueabihf-gcc",
      "-nostdinc",
      "-isystem",
      gccInclude,
      "-ffreestanding",
      "-march=armv6k",
      "-mfloat-abi=soft",
      "-marm",
      "-mtp=cp15",
      "-O2",
      "-c",
      "kstyle.c",
    ];
    expect(await check(argv, work)).toBe(5);
  });

  it("the x86 kernel's -mcmodel=kernel, which the probe accepts only with its -fno-PIE", async () => {
    const gccInclude = execFileSync("gcc", ["-print-file-name=include"], { encoding: "utf8" }).trim();
    const argv = [
      "gcc",
      "-nostdinc",
      "-isystem",
      gccInclude,
      "-ffreestanding",
      "-fno-PIE",
      "-m64",
      "-mcmodel=kernel",
      "-mno-red-zone",
      "-mno-sse",
      "-O2",
      "-c",
      "kstyle.c",
    ];
    expect(await check(argv, work)).toBe(5);
  });

  it("a target option set the probe refuses falls back to the compiler's default chain", async () => {
    // -mcmodel=kernel without -fno-PIE fails on /dev/null (and in the compile: that error is the
    // compiler's to give, not a reason for the analysis to fail).
    const result = await analyzer.analyze({ argv: ["gcc", "-mcmodel=kernel", "-O2", "-c", "posix.c"], cwd: work });
    expect(result.ok ? "" : result.reason).toBe("");
    if (result.ok) expect(result.closure.chain.system).toContain("/usr/include");
  });

  it("clang", async () => {
    expect(hasCommand("clang")).toBe(true);
    expect(await check(["clang", "-O2", "-c", "posix.c"], work)).toBeGreaterThan(50);
  });

  it("every file of the demo project", async () => {
    const dir = join(repoRoot, "apps/client/demo/project");
    const sources = readdirSync(dir).filter((f) => f.endsWith(".c"));
    expect(sources.length).toBeGreaterThan(3);
    for (const file of sources) await check(["gcc", "-O2", "-Wall", "-c", file], dir);
  });

  it("agrees with the compiler on the search chain it reports", async () => {
    const result = await analyzer.analyze({ argv: ["gcc", "-c", "posix.c"], cwd: work });
    if (!result.ok) throw new Error(result.reason);
    expect(result.closure.chain.system).toContain("/usr/include");
    expect(result.closure.chain.bracket.at(-1)).toBe("/usr/include");
  });
});
