import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkObjectTarget, readElfTarget } from "./elf-target.js";
import type { CompilerIdentity } from "./identity.js";
import { probeCompiler } from "./probe.js";

const tmp = makeTempDir("compilers-elf-");
afterAll(() => tmp.remove());

function build(cc: string, flags: string[], name: string): Uint8Array {
  const out = path.join(tmp.path, `${name}.o`);
  execFileSync(cc, [...flags, "-O2", "-c", path.join(tmp.path, "f.c"), "-o", out], { stdio: "ignore" });
  return readFileSync(out);
}

describe("ELF objects checked against the compiler identity they were asked of", () => {
  const ids: Record<string, CompilerIdentity> = {};
  const objs: Record<string, Uint8Array> = {};
  beforeAll(async () => {
    writeFileSync(path.join(tmp.path, "f.c"), "double f(double a, int b) { return a * b; }\n");
    for (const cc of ["gcc", "arm-linux-gnueabihf-gcc", "arm-linux-gnueabi-gcc", "aarch64-linux-gnu-gcc"]) {
      ids[cc] = await probeCompiler(cc);
      objs[cc] = build(cc, [], cc);
    }
  });

  it("reads class, byte order, machine and the ARM float convention", () => {
    expect(readElfTarget(objs.gcc ?? new Uint8Array())).toEqual({ bits: 64, endian: "little", machine: 62 });
    expect(readElfTarget(objs["aarch64-linux-gnu-gcc"] ?? new Uint8Array())).toEqual({
      bits: 64,
      endian: "little",
      machine: 183,
    });
    expect(readElfTarget(objs["arm-linux-gnueabihf-gcc"] ?? new Uint8Array())).toEqual({
      bits: 32,
      endian: "little",
      machine: 40,
      armVfpArgs: true,
      armCpuArch: 10,
    });
    expect(readElfTarget(objs["arm-linux-gnueabi-gcc"] ?? new Uint8Array())).toMatchObject({
      machine: 40,
      armCpuArch: 4,
    });
    expect(readElfTarget(objs["arm-linux-gnueabi-gcc"] ?? new Uint8Array())?.armVfpArgs).not.toBe(true);
  });

  it("every compiler's own object passes; every other compiler's fails", () => {
    for (const [cc, id] of Object.entries(ids)) {
      for (const [other, obj] of Object.entries(objs)) {
        const r = checkObjectTarget(obj, id);
        expect(r.ok, `${other}'s object for ${cc}`).toBe(cc === other);
      }
    }
    expect(checkObjectTarget(objs.gcc ?? new Uint8Array(), ids["arm-linux-gnueabihf-gcc"] as CompilerIdentity)).toEqual(
      {
        ok: false,
        reason: "object is for ELF machine 62, expected 40 (arm-linux-gnueabihf)",
      },
    );
    expect(
      checkObjectTarget(
        objs["arm-linux-gnueabi-gcc"] ?? new Uint8Array(),
        ids["arm-linux-gnueabihf-gcc"] as CompilerIdentity,
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/soft float\), expected hard float/),
    });
  });

  it("options of the command line that change a field are respected (kernel's -mfloat-abi=soft, -m32)", () => {
    const armhf = ids["arm-linux-gnueabihf-gcc"] as CompilerIdentity;
    const kernelStyle = build("arm-linux-gnueabihf-gcc", ["-mfloat-abi=soft"], "kernel");
    expect(checkObjectTarget(kernelStyle, armhf, ["-mfloat-abi=soft", "-c", "f.c"])).toEqual({ ok: true });
    expect(checkObjectTarget(kernelStyle, armhf, ["-c", "f.c"]).ok).toBe(false);
    const m32 = build("gcc", ["-m32"], "m32");
    expect(checkObjectTarget(m32, ids.gcc as CompilerIdentity, ["-m32"])).toEqual({ ok: true });
    expect(checkObjectTarget(m32, ids.gcc as CompilerIdentity, []).ok).toBe(false);
  });

  it("garbage and truncated input is not an object", () => {
    expect(readElfTarget(new Uint8Array(0))).toBeUndefined();
    expect(readElfTarget(Buffer.from("!<arch>\n"))).toBeUndefined();
    expect(
      checkObjectTarget(Buffer.from("not an elf file at all, not at all, not at all....."), ids.gcc as CompilerIdentity)
        .ok,
    ).toBe(false);
    const arm = objs["arm-linux-gnueabihf-gcc"] ?? new Uint8Array();
    for (const cut of [4, 20, 51, 52, 100, arm.length - 1])
      expect(() => readElfTarget(arm.subarray(0, cut))).not.toThrow();
  });
});
