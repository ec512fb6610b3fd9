import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityCache } from "./identity-cache.js";
import { ToolchainIndex } from "./toolchain-index.js";

const tmp = makeTempDir("compilers-index-");
afterAll(() => tmp.remove());

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
function link(target: string, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  symlinkSync(target, file);
}

describe("ToolchainIndex on this machine (/usr/bin + /usr/lib/distcc)", () => {
  let index: ToolchainIndex;
  beforeAll(async () => {
    const cache = new IdentityCache({ file: path.join(tmp.path, "system-cache.json") });
    index = await ToolchainIndex.discover({
      pathDirs: ["/usr/bin"],
      masqueradeDir: "/usr/lib/distcc",
      crossDirs: false,
      cache,
    });
  });

  it("lists each compiler once with every name that reaches it", () => {
    const gcc = index.list().find((c) => c.names.includes("gcc"));
    expect(gcc?.names).toEqual(
      expect.arrayContaining(["cc", "gcc", "gcc-12", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-gcc-12"]),
    );
    expect(gcc?.identity).toMatchObject({
      kind: "c",
      target: "x86_64-linux-gnu",
      path: "/usr/bin/x86_64-linux-gnu-gcc-12",
    });
    expect(path.basename(gcc?.executable ?? "")).not.toBe("cc");
    const targets = index.list().map((c) => `${c.identity.target}/${c.identity.family}/${c.identity.kind}`);
    expect(targets).toEqual(
      expect.arrayContaining([
        "x86_64-linux-gnu/gcc/c",
        "x86_64-linux-gnu/gcc/c++",
        "arm-linux-gnueabihf/gcc/c",
        "arm-linux-gnueabi/gcc/c",
        "aarch64-linux-gnu/gcc/c",
      ]),
    );
    expect(index.rejected()).toEqual([]);
  });

  it("resolves the names distcc 3.3+ clients send, by name", () => {
    expect(index.resolveName("x86_64-linux-gnu-gcc")).toMatchObject({
      via: "name",
      executable: "/usr/bin/x86_64-linux-gnu-gcc",
      flags: [],
      identity: { kind: "c" },
    });
    expect(index.resolveName("x86_64-linux-gnu-g++-12")).toMatchObject({
      via: "name",
      identity: { kind: "c++", target: "x86_64-linux-gnu" },
    });
    expect(index.resolveName("gcc")).toMatchObject({ via: "name", executable: "/usr/bin/gcc" });
    expect(index.resolveName("arm-linux-gnueabihf-gcc")).toMatchObject({
      via: "name",
      identity: { target: "arm-linux-gnueabihf" },
    });
  });

  it("applies distccd's absolute-path rule", () => {
    expect(index.resolveName("/usr/bin/gcc")?.executable).toBe("/usr/bin/gcc");
    expect(index.resolveName("/bin/gcc")?.executable).toBe("/usr/bin/gcc");
    expect(index.resolveName("/USR/BIN/x86_64-linux-gnu-gcc")?.identity.target).toBe("x86_64-linux-gnu");
    expect(index.resolveName("/opt/x/gcc")).toBeUndefined();
    expect(index.lookupName("/opt/x/gcc")).toMatchObject({ ok: false, code: "DISTCC_ERR_ABSOLUTE_PATH" });
    expect(index.lookupName("/usr/bin/../../tmp/gcc")).toMatchObject({ ok: false, code: "DISTCC_ERR_ABSOLUTE_PATH" });
    expect(index.lookupName("/opt/cross/bin/x86_64-linux-gnu-gcc")).toMatchObject({
      ok: false,
      code: "DISTCC_ERR_ABSOLUTE_PATH",
    });
  });

  it("refuses what is not a known compiler", () => {
    for (const name of [
      "tcc",
      "mycc",
      "sh",
      "distcc",
      "gcc-ar",
      "",
      "gcc\0",
      `${"x".repeat(100_000)}-gcc`,
      `${"-gcc".repeat(5000)}x`,
    ]) {
      expect(index.resolveName(name), name.slice(0, 20)).toBeUndefined();
      expect(index.lookupName(name), name.slice(0, 20)).toMatchObject({
        ok: false,
        code: "DISTCC_ERR_UNKNOWN_COMPILER",
      });
    }
  });

  it("accepts everything Debian's distccd accepts: each masquerade name, bare and as /usr/bin/NAME", () => {
    const names = readdirSync("/usr/lib/distcc");
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      expect(index.resolveName(name)?.via, name).toMatch(/^(name|masquerade)$/);
      expect(index.resolveName(`/usr/bin/${name}`)?.executable, name).toBe(index.resolveName(name)?.executable);
    }
  });

  it("masquerade-only names (c89-gcc) are whitelisted, run from the search path", () => {
    expect(index.resolveName("c89-gcc")).toMatchObject({ via: "masquerade", executable: "/usr/bin/c89-gcc" });
  });

  it("the blog's prefix mismatch resolves by identity, with the flags for the Pi's defaults", () => {
    expect(index.resolveName("armv6j-hardfloat-linux-gnueabi-gcc")).toMatchObject({
      via: "identity",
      executable: "/usr/bin/arm-linux-gnueabihf-gcc",
      flags: ["-march=armv6", "-mfpu=vfp", "-marm"],
      warnings: [],
    });
    expect(index.resolveName("x86_64-pc-linux-gnu-gcc")).toMatchObject({
      via: "identity",
      identity: { target: "x86_64-linux-gnu" },
      flags: [],
    });
    expect(index.resolveName("aarch64-unknown-linux-gnu-gcc-12")).toMatchObject({
      via: "identity",
      identity: { target: "aarch64-linux-gnu" },
    });
  });

  it("another major version is used only with a warning", () => {
    const r = index.resolveName("arm-linux-gnueabihf-gcc-10");
    expect(r).toMatchObject({
      via: "identity",
      identity: { target: "arm-linux-gnueabihf", version: expect.stringMatching(/^12\./) },
    });
    expect(r?.warnings.join()).toMatch(/no gcc 10 for arm-linux-gnueabihf.*closest/);
    expect(index.resolveName("gcc-13")?.warnings.join()).toMatch(/no gcc 13/);
  });

  it("a list() that travelled as JSON answers the same questions on the other side", () => {
    const remote = ToolchainIndex.fromCompilers(JSON.parse(JSON.stringify(index.list())));
    expect(remote.list()).toEqual(index.list());
    for (const name of [
      "gcc",
      "x86_64-linux-gnu-g++",
      "armv6j-hardfloat-linux-gnueabi-gcc",
      "i686-linux-gnu-gcc",
      "/opt/x/gcc",
    ]) {
      expect(remote.lookupName(name), name).toEqual(index.lookupName(name));
    }
  });

  it("never serves a foreign target with a native compiler; says what to install", () => {
    expect(index.lookupName("i686-linux-gnu-gcc")).toMatchObject({
      ok: false,
      code: "DISTCC_ERR_NO_TOOLCHAIN",
      missing: { target: "i686-linux-gnu", hint: "apt-get install gcc-i686-linux-gnu" },
    });
    expect(index.lookupName("aarch64-linux-gnu-g++")).toMatchObject({
      ok: false,
      missing: { hint: "apt-get install g++-aarch64-linux-gnu" },
    });
    expect(index.lookupName("mipsel-linux-gnu-gcc")).toMatchObject({
      ok: false,
      missing: { hint: "apt-get install gcc-mipsel-linux-gnu" },
    });
    expect(index.lookupName("armv7-acme-linux-musleabihf-gcc")).toMatchObject({
      ok: false,
      missing: { hint: expect.stringMatching(/crosstool-NG/) },
    });
  });
});

describe("ToolchainIndex.discover on a made-up machine", () => {
  const a = path.join(tmp.path, "fake", "a");
  const b = path.join(tmp.path, "fake", "b");
  const masq = path.join(tmp.path, "fake", "masq");
  const cfg = path.join(tmp.path, "fake", "config-bin");
  const home = path.join(tmp.path, "fake", "home");
  let index: ToolchainIndex;

  beforeAll(async () => {
    script(path.join(a, "gcc"), 'echo "I am not a compiler"'); // first on the path: shadows b/gcc
    link("/usr/bin/gcc", path.join(b, "gcc"));
    link("/usr/bin/x86_64-linux-gnu-gcc-12", path.join(a, "x86_64-linux-gnu-gcc"));
    link("/usr/bin/distcc", path.join(a, "cc")); // distcc itself: never a compiler
    writeFileSync(path.join(a, "g++"), "not executable");
    script(path.join(a, "arm-linux-gnueabihf-gcc"), 'exec /usr/bin/arm-linux-gnueabihf-gcc "$@"'); // a wrapper that is a compiler
    script(path.join(a, "tcc"), 'exec /usr/bin/gcc "$@"'); // not a compiler name, not in the masquerade dir
    link("/usr/bin/c99-gcc", path.join(b, "c99-gcc"));
    link("/usr/bin/gcc", path.join(a, "arm-linux-gnueabi-gcc")); // a name that lies about the target
    link("/usr/bin/x86_64-linux-gnu-gcc-12", path.join(a, "x86_64-linux-gnu-g++")); // ... about the language
    for (const n of ["c99-gcc", "tcc-masq", "gcc", "x86_64-linux-gnu-gcc"]) link("/usr/bin/distcc", path.join(masq, n));
    link("/usr/bin/aarch64-linux-gnu-gcc", path.join(cfg, "aarch64-linux-gnu-gcc"));
    // crosstool-NG's Raspberry Pi toolchain, with the Pi's defaults built in.
    script(
      path.join(home, "x-tools", "armv6-rpi-linux-gnueabihf", "bin", "armv6-rpi-linux-gnueabihf-gcc"),
      'exec /usr/bin/arm-linux-gnueabihf-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"',
    );
    index = await ToolchainIndex.discover({
      pathDirs: [masq, a, b],
      extraDirs: [cfg],
      masqueradeDir: masq,
      env: { PATH: "/usr/bin:/bin", HOME: home },
    });
  });

  it("whitelists only what probes as a compiler, first on the path by name", () => {
    const names = index
      .list()
      .flatMap((c) => c.names)
      .sort();
    expect(names).toEqual([
      "aarch64-linux-gnu-gcc",
      "arm-linux-gnueabihf-gcc",
      "armv6-rpi-linux-gnueabihf-gcc",
      "c99-gcc",
      "x86_64-linux-gnu-gcc",
    ]);
    expect(index.rejected()).toEqual([
      expect.objectContaining({
        name: "arm-linux-gnueabi-gcc",
        code: "DISTCC_ERR_NAME_MISMATCH",
        reason: expect.stringMatching(/named for arm-linux-gnueabi but compiles for x86_64-linux-gnu/),
      }),
      expect.objectContaining({ name: "gcc", path: path.join(a, "gcc"), code: "DISTCC_ERR_NOT_A_COMPILER" }),
      expect.objectContaining({ name: "x86_64-linux-gnu-g++", code: "DISTCC_ERR_NAME_MISMATCH" }),
    ]);
    // A lying name is never run for what it claims: by identity there is no armel gcc here.
    expect(index.lookupName("arm-linux-gnueabi-gcc")).toMatchObject({ ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN" });
    expect(index.lookupName("x86_64-linux-gnu-g++")).toMatchObject({ ok: false, code: "DISTCC_ERR_NO_TOOLCHAIN" });
    // The fake gcc shadows the real one behind it: the name is refused, not silently rerouted.
    expect(index.resolveName("gcc")).toBeUndefined();
    expect(index.resolveName("cc")).toBeUndefined();
    expect(index.resolveName("g++")).toBeUndefined();
    expect(index.resolveName("tcc")).toBeUndefined();
    expect(index.resolveName("tcc-masq")).toBeUndefined();
  });

  it("runs compilers by the path they were found at (wrappers and links kept)", () => {
    expect(index.resolveName("x86_64-linux-gnu-gcc")).toMatchObject({
      via: "name",
      executable: path.join(a, "x86_64-linux-gnu-gcc"),
    });
    expect(index.resolveName("arm-linux-gnueabihf-gcc")).toMatchObject({
      via: "name",
      executable: path.join(a, "arm-linux-gnueabihf-gcc"),
    });
    expect(index.resolveName("c99-gcc")).toMatchObject({ via: "masquerade", executable: path.join(b, "c99-gcc") });
    expect(index.resolveName("aarch64-linux-gnu-gcc")).toMatchObject({
      via: "name",
      executable: path.join(cfg, "aarch64-linux-gnu-gcc"),
    });
  });

  it("prefers the toolchain whose defaults already match (crosstool-NG in ~/x-tools)", () => {
    const r = index.resolveName("armv6j-hardfloat-linux-gnueabi-gcc");
    expect(r?.executable).toBe(
      path.join(home, "x-tools", "armv6-rpi-linux-gnueabihf", "bin", "armv6-rpi-linux-gnueabihf-gcc"),
    );
    expect(r?.flags).not.toContain("-marm");
    expect(r?.flags).not.toContain("-mfpu=vfp");
  });

  it("crossDirs: false leaves ~/x-tools out", async () => {
    const without = await ToolchainIndex.discover({
      pathDirs: [b],
      masqueradeDir: null,
      crossDirs: false,
      env: { PATH: "/usr/bin", HOME: home },
    });
    // c99-gcc is not a compiler-driver name: only a masquerade directory can whitelist it.
    expect(
      without
        .list()
        .flatMap((c) => c.names)
        .sort(),
    ).toEqual(["gcc"]);
  });
});
