import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { NotACompilerError, ProbeFailedError } from "./errors.js";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { PROBE_CHANNEL, probeCompiler } from "./probe.js";

const tmp = makeTempDir("compilers-probe-");
afterAll(() => tmp.remove());

function script(name: string, body: string): string {
  const file = path.join(tmp.path, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe("probeCompiler on the installed compilers", () => {
  it("native gcc: x86_64, 64-bit, little-endian, C driver, realpath'd", async () => {
    const id = await probeCompiler("gcc");
    expect(id).toMatchObject({
      family: "gcc",
      kind: "c",
      target: "x86_64-linux-gnu",
      path: "/usr/bin/x86_64-linux-gnu-gcc-12",
    });
    expect(id.version).toMatch(/^12\.\d+\.\d+$/);
    expect(id.abi).toMatchObject({ arch: "x86-64", endian: "little", pointerBits: 64 });
    expect(id.abi.floatAbi).toBeUndefined();
  });

  it("g++ is the C++ driver of the same target", async () => {
    const id = await probeCompiler("/usr/bin/g++");
    expect(id).toMatchObject({ family: "gcc", kind: "c++", target: "x86_64-linux-gnu" });
  });

  it("arm-linux-gnueabihf-gcc: ARMv7-A, hard float, Thumb-2, 32-bit", async () => {
    const id = await probeCompiler("arm-linux-gnueabihf-gcc");
    expect(id).toMatchObject({ family: "gcc", kind: "c", target: "arm-linux-gnueabihf" });
    expect(id.abi).toEqual({
      arch: "armv7-a+fp",
      fpu: "auto",
      floatAbi: "hard",
      mode: "thumb",
      endian: "little",
      pointerBits: 32,
    });
  });

  it("arm-linux-gnueabi-gcc: ARMv5TE, soft float, ARM mode", async () => {
    const id = await probeCompiler("arm-linux-gnueabi-gcc");
    expect(id.target).toBe("arm-linux-gnueabi");
    expect(id.abi).toMatchObject({ arch: "armv5te", floatAbi: "soft", mode: "arm", endian: "little", pointerBits: 32 });
  });

  it("aarch64-linux-gnu-gcc: ARMv8-A, 64-bit, no ARM32 fields", async () => {
    const id = await probeCompiler("aarch64-linux-gnu-gcc-12");
    expect(id.target).toBe("aarch64-linux-gnu");
    expect(id.abi).toEqual({ arch: "armv8-a", cpu: "generic", tune: "generic", endian: "little", pointerBits: 64 });
  });

  it("clang and clang++ (same binary) are told apart by what they link", async () => {
    const [c, cxx] = await Promise.all([probeCompiler("clang"), probeCompiler("clang++")]);
    expect(c).toMatchObject({ family: "clang", kind: "c" });
    expect(cxx).toMatchObject({ family: "clang", kind: "c++" });
    expect(c.path).toBe(cxx.path);
    expect(c.target).toMatch(/^x86_64-/);
    expect(c.abi).toMatchObject({ cpu: "x86-64", pointerBits: 64, endian: "little" });
  });

  it("a wrapper that adds flags reports the defaults it really compiles with", async () => {
    const wrapper = script(
      "armv6-wrapper-gcc",
      'exec arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"',
    );
    const id = await probeCompiler(wrapper);
    expect(id.target).toBe("arm-linux-gnueabihf");
    expect(id.abi).toMatchObject({ arch: "armv6+fp", fpu: "vfp", floatAbi: "hard", mode: "arm", pointerBits: 32 });
  });

  it("the target is what -dumpmachine says (a stand-in for another toolchain may answer for it)", async () => {
    const standIn = script(
      "armv6j-hardfloat-linux-gnueabi-gcc",
      'for a in "$@"; do [ "$a" = -dumpmachine ] && { echo armv6j-hardfloat-linux-gnueabi; exit 0; }; done\n' +
        'exec arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"',
    );
    const id = await probeCompiler(standIn);
    expect(id.target).toBe("armv6j-hardfloat-linux-gnueabi");
    expect(id.abi).toMatchObject({ arch: "armv6+fp", fpu: "vfp", floatAbi: "hard", mode: "arm" });
  });
});

describe("probeCompiler on things that are not compilers", () => {
  it("a shell script named gcc that is not a compiler: DISTCC_ERR_NOT_A_COMPILER", async () => {
    const fake = script("gcc", 'echo "hello from a fake gcc"');
    const err = await probeCompiler(fake).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotACompilerError);
    expect((err as NotACompilerError).code).toBe("DISTCC_ERR_NOT_A_COMPILER");
    expect((err as Error).message).toContain("hello from a fake gcc");
  });

  it("a real program that is no compiler (/bin/true)", async () => {
    await expect(probeCompiler("/bin/true")).rejects.toMatchObject({ code: "DISTCC_ERR_NOT_A_COMPILER" });
  });

  it("a missing file or name: DISTCC_ERR_PROBE_FAILED", async () => {
    await expect(probeCompiler(path.join(tmp.path, "nope-gcc"))).rejects.toBeInstanceOf(ProbeFailedError);
    await expect(probeCompiler("no-such-compiler-xyz", { env: { PATH: tmp.path } })).rejects.toMatchObject({
      code: "DISTCC_ERR_PROBE_FAILED",
    });
  });

  it("a program that never answers is killed at the timeout", async () => {
    const hang = script("hang-gcc", "exec sleep 30");
    const err = await probeCompiler(hang, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DISTCC_ERR_PROBE_FAILED" });
    expect((err as Error).message).toMatch(/did not finish within 300 ms/);
  });

  it("every probe is published on the diagnostics channel", async () => {
    const seen: unknown[] = [];
    const listener = (m: unknown): void => void seen.push(m);
    subscribe(PROBE_CHANNEL, listener);
    try {
      await probeCompiler("gcc");
      await probeCompiler("/bin/true").catch(() => undefined);
    } finally {
      unsubscribe(PROBE_CHANNEL, listener);
    }
    expect(seen).toEqual([
      expect.objectContaining({ path: "gcc", identity: expect.objectContaining({ family: "gcc" }) }),
      expect.objectContaining({ path: "/bin/true", error: expect.any(NotACompilerError) }),
    ]);
  });

  it("finds a bare name through the injected PATH only", async () => {
    script("x86_64-linux-gnu-gcc", 'exec /usr/bin/gcc "$@"');
    const id = await probeCompiler("x86_64-linux-gnu-gcc", { env: { PATH: tmp.path } });
    expect(id.path).toBe(path.join(tmp.path, "x86_64-linux-gnu-gcc"));
    expect(id.target).toBe("x86_64-linux-gnu");
  });
});
