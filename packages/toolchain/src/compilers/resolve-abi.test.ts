// Resolution end to end with real compilers: the flags it adds must make the server's compiler emit
// what the client's compiler would, checked on the objects (readelf -A, disassembly) and by running.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkObjectTarget } from "./elf-target.js";
import { probeCompiler } from "./probe.js";
import { ToolchainIndex } from "./toolchain-index.js";
import { wireCompilerName } from "./wire-name.js";

const tmp = makeTempDir("compilers-abi-");
afterAll(() => tmp.remove());

const SOURCE = `
double scale(double a, double b) { return a * b + 1.5; }
float mix(float x, float y, int n) { float s = 0; for (int i = 0; i < n; i++) s += x * y + (float)i; return s; }
`;
const MAIN = `
#include <stdio.h>
double scale(double a, double b);
float mix(float x, float y, int n);
int main(void) { printf("%.2f %.1f\\n", scale(2.0, 3.25), mix(1.5f, 2.0f, 4)); return 0; }
`;

function run(file: string, args: string[]): string {
  return execFileSync(file, args, { cwd: tmp.path, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function compile(executable: string, flags: string[], src: string, out: string): string {
  run(executable, [...flags, "-O2", "-c", src, "-o", out]);
  return out;
}
/** The build attributes that define the ABI and instruction set (CPU name aside, which -march spelling sets). */
function attributes(obj: string): string[] {
  return run("readelf", ["-A", obj])
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("Tag_") && !l.startsWith("Tag_CPU_name"));
}
function disassembly(obj: string): string {
  return run("objdump", ["-d", obj]).split("\n").slice(3).join("\n");
}

describe("resolveIdentity: a Raspberry Pi 1 client compiler served by Debian's armhf gcc", () => {
  let index: ToolchainIndex;
  let src: string;
  let reference: string;
  beforeAll(async () => {
    index = await ToolchainIndex.discover({ pathDirs: ["/usr/bin"], masqueradeDir: null, crossDirs: false });
    src = path.join(tmp.path, "scale.c");
    writeFileSync(src, SOURCE);
    writeFileSync(path.join(tmp.path, "main.c"), MAIN);
    reference = compile(
      "arm-linux-gnueabihf-gcc",
      ["-march=armv6", "-mfpu=vfp", "-mfloat-abi=hard", "-marm"],
      src,
      path.join(tmp.path, "reference.o"),
    );
  });

  it("the reference really is ARMv6 / VFPv2 / hard float / ARM mode, unlike the compiler's defaults", () => {
    const ref = attributes(reference);
    expect(ref).toEqual(
      expect.arrayContaining([
        "Tag_CPU_arch: v6",
        "Tag_ARM_ISA_use: Yes",
        "Tag_FP_arch: VFPv2",
        "Tag_ABI_VFP_args: VFP registers",
      ]),
    );
    const plain = attributes(compile("arm-linux-gnueabihf-gcc", [], src, path.join(tmp.path, "plain.o")));
    expect(plain).toContain("Tag_CPU_arch: v7");
    expect(plain).not.toEqual(ref);
  });

  it("a probed client identity (a compiler with the Pi's defaults built in) gets flags that reproduce its objects", async () => {
    // The client's compiler: Debian's ARM gcc with the Pi's defaults, as a Pi's own gcc would have.
    const clientCc = path.join(tmp.path, "armv6j-hardfloat-linux-gnueabi-gcc");
    writeFileSync(
      clientCc,
      '#!/bin/sh\nexec arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"\n',
    );
    chmodSync(clientCc, 0o755);
    const client = await probeCompiler(clientCc);

    const r = index.resolveIdentity(client);
    if (!r.ok) throw new Error(r.reason);
    expect(r.identity.path).toBe("/usr/bin/arm-linux-gnueabihf-gcc-12");
    expect(r.flags).toEqual(expect.arrayContaining(["-mfpu=vfp", "-marm"]));
    expect(r.flags.some((f) => f.startsWith("-march=armv6"))).toBe(true);
    expect(r.warnings).toEqual([]);

    const local = compile(clientCc, [], src, path.join(tmp.path, "client.o"));
    const remote = compile(r.executable, r.flags, src, path.join(tmp.path, "served.o"));
    expect(attributes(remote)).toEqual(attributes(local));
    expect(attributes(remote)).toEqual(attributes(reference));
    expect(disassembly(remote)).toEqual(disassembly(local));
  });

  it("a stand-in that reports its own triple (-dumpmachine) resolves the same way, and is sent by that name", async () => {
    const standIn = path.join(tmp.path, "standin", "gcc");
    mkdirSync(path.dirname(standIn), { recursive: true });
    writeFileSync(
      standIn,
      '#!/bin/sh\nfor a in "$@"; do [ "$a" = -dumpmachine ] && { echo armv6j-hardfloat-linux-gnueabi; exit 0; }; done\n' +
        'exec arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"\n',
    );
    chmodSync(standIn, 0o755);
    const client = await probeCompiler(standIn);
    expect(wireCompilerName("gcc", client).name).toBe("armv6j-hardfloat-linux-gnueabi-gcc");
    const r = index.resolveIdentity(client);
    if (!r.ok) throw new Error(r.reason);
    expect(r.identity.target).toBe("arm-linux-gnueabihf");
    const local = compile(standIn, [], src, path.join(tmp.path, "standin-local.o"));
    const remote = compile(r.executable, r.flags, src, path.join(tmp.path, "standin-remote.o"));
    expect(attributes(remote)).toEqual(attributes(local));
    expect(disassembly(remote)).toEqual(disassembly(local));
    expect(checkObjectTarget(readFileSync(remote), client)).toEqual({ ok: true });
  });

  it("a name only (what a real distcc client sends) gets the same result, and the program runs under qemu-arm", () => {
    const r = index.resolveName("armv6j-hardfloat-linux-gnueabi-gcc");
    if (!r) throw new Error("not resolved");
    expect(r.flags).toEqual(["-march=armv6", "-mfpu=vfp", "-marm"]);
    const served = compile(r.executable, r.flags, src, path.join(tmp.path, "by-name.o"));
    expect(attributes(served)).toEqual(attributes(reference));
    expect(disassembly(served)).toEqual(disassembly(reference));

    const mainObj = compile(r.executable, r.flags, path.join(tmp.path, "main.c"), path.join(tmp.path, "main.o"));
    const exe = path.join(tmp.path, "prog");
    run("arm-linux-gnueabihf-gcc", [mainObj, served, "-o", exe]);
    expect(run("qemu-arm", ["-L", "/usr/arm-linux-gnueabihf", exe])).toBe("8.00 18.0\n");
  });

  it("the same source compiled for soft float (armel) is told apart: attributes differ", () => {
    const r = index.resolveName("armv5tel-softfloat-linux-gnueabi-gcc");
    if (!r) throw new Error("not resolved");
    expect(r.identity.target).toBe("arm-linux-gnueabi");
    expect(r.flags).toEqual([]); // Debian armel already defaults to armv5te, ARM mode
    const soft = attributes(compile(r.executable, r.flags, src, path.join(tmp.path, "soft.o")));
    expect(soft).toContain("Tag_CPU_arch: v5TE");
    expect(soft).not.toContain("Tag_ABI_VFP_args: VFP registers");
  });
});

describe("resolveIdentity: versions, blockers, clang retargeting", () => {
  let index: ToolchainIndex;
  beforeAll(async () => {
    index = await ToolchainIndex.discover({ pathDirs: ["/usr/bin"], masqueradeDir: null, crossDirs: false });
  });

  it("same target by another spelling, same major: no flags, no warning", () => {
    const r = index.resolveIdentity({
      target: "aarch64-unknown-linux-gnu",
      family: "gcc",
      kind: "c",
      version: "12.1.0",
      abi: { pointerBits: 64, endian: "little" },
    });
    expect(r).toMatchObject({ ok: true, executable: "/usr/bin/aarch64-linux-gnu-gcc", flags: [], warnings: [] });
  });

  it("closest major with a warning", () => {
    const r = index.resolveIdentity({ target: "x86_64-linux-gnu", family: "gcc", kind: "c++", version: "13.2.0" });
    expect(r.ok && r.identity.kind).toBe("c++");
    expect(r.ok && r.warnings[0]).toMatch(/no gcc 13 for x86_64-linux-gnu here; using gcc 12\.2\.0/);
  });

  it("an ABI no flag can reach is refused, with the reason", () => {
    const r = index.resolveIdentity({
      target: "arm-linux-gnueabihf",
      family: "gcc",
      kind: "c",
      abi: { endian: "big" },
    });
    expect(r).toMatchObject({
      ok: false,
      missing: { target: "arm-linux-gnueabihf", hint: "apt-get install gcc-arm-linux-gnueabihf" },
    });
    expect(!r.ok && r.reason).toMatch(/little-endian instead of big-endian/);
  });

  it("a missing C++ cross compiler names its Debian package", () => {
    const r = index.resolveIdentity({ target: "armv6j-hardfloat-linux-gnueabi", family: "gcc", kind: "c++" });
    expect(r).toMatchObject({ ok: false, missing: { kind: "c++", hint: "apt-get install g++-arm-linux-gnueabihf" } });
  });

  it("clang serves a foreign target with --target, and the object is for that machine", () => {
    const r = index.resolveIdentity({ target: "aarch64-linux-gnu", family: "clang", kind: "c" });
    if (!r.ok) throw new Error(r.reason);
    expect(r.flags).toEqual(["--target=aarch64-linux-gnu"]);
    const src = path.join(tmp.path, "clang.c");
    writeFileSync(src, SOURCE);
    const obj = compile(r.executable, r.flags, src, path.join(tmp.path, "clang.o"));
    expect(run("readelf", ["-h", obj])).toMatch(/Machine:\s+AArch64/);
  });

  it("gcc is never retargeted: a gcc request for a target without a gcc is refused even with clang installed", () => {
    expect(index.resolveIdentity({ target: "riscv64-linux-gnu", family: "gcc", kind: "c" })).toMatchObject({
      ok: false,
      missing: { hint: "apt-get install gcc-riscv64-linux-gnu" },
    });
  });
});
