// Issue 6, end to end: mixed architectures through our client and our server (and a real distccd)
// on loopback, with no symlink or wrapper on the server side. The client-side stand-in compilers
// are small scripts in directories put first on the client's PATH only.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent, waitForJobs, type RunResult } from "./helpers.js";
import {
  armAttributes,
  elfMachine,
  PROGRAM_UNITS,
  startLyingServer,
  startOurServer,
  writeProgram,
  writeScript,
  type ServerHandle,
} from "./cross-helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const ARMHF = "arm-linux-gnueabihf";
const EXPECTED_32 = "scale=7.75 words=4 ptr=4\n";
const EXPECTED_64 = "scale=7.75 words=4 ptr=8\n";

const tmp = makeTempDir("client-cross-");
let launcher = "";
let ours: ServerHandle;
const distccDirs: string[] = [];
const bins = {
  gentoo: join(tmp.path, "cbin-gentoo"),
  armGcc: join(tmp.path, "cbin-arm"),
  arm64Gcc: join(tmp.path, "cbin-arm64"),
  raspbian: join(tmp.path, "cbin-raspbian"),
};

/** Where Debian's clang package puts its drivers (a directory with clang and no gcc). */
function llvmBinDir(): string {
  const found = readdirSync("/usr/lib")
    .filter((d) => /^llvm-\d+$/.test(d))
    .sort()
    .pop();
  if (!found) throw new Error("clang (Debian's /usr/lib/llvm-N) is not installed");
  return join("/usr/lib", found, "bin");
}

beforeAll(async () => {
  ({ launcher } = makeLinks(join(tmp.path, "links")));
  // (a) the blog's compiler: Gentoo's name, armv6 / VFP / hard float / ARM mode by default.
  writeScript(
    bins.gentoo,
    "armv6j-hardfloat-linux-gnueabi-gcc",
    `for a in "$@"; do [ "$a" = -dumpmachine ] && { echo armv6j-hardfloat-linux-gnueabi; exit 0; }; done\n` +
      `exec /usr/bin/${ARMHF}-gcc -march=armv6 -mfpu=vfp -mfloat-abi=hard -marm "$@"`,
  );
  // (b)/(e)/(f) the kernel's plain gcc is the ARM compiler; (c) likewise aarch64.
  for (const name of ["gcc", "cc"]) writeScript(bins.armGcc, name, `exec /usr/bin/${ARMHF}-gcc "$@"`);
  writeScript(bins.arm64Gcc, "gcc", 'exec /usr/bin/aarch64-linux-gnu-gcc "$@"');
  // (g) Raspbian's compiler: the same name as Debian's, armv6 + VFP + ARM mode by default.
  writeScript(
    bins.raspbian,
    `${ARMHF}-gcc`,
    `exec /usr/bin/${ARMHF}-gcc -march=armv6+fp -mfpu=vfp -mfloat-abi=hard -marm "$@"`,
  );
  ours = await startOurServer({ cacheDir: join(tmp.path, "server-cache") });
}, 60_000);

afterAll(async () => {
  for (const d of distccDirs) await stopAgent(d);
  await ours?.stop();
  tmp.remove();
});

function envFor(
  name: string,
  hosts: string,
  pathPrefix: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const dir = join(tmp.path, `state-${name}`);
  distccDirs.push(dir);
  return clientEnv(dir, hosts, { PATH: `${pathPrefix}:${process.env.PATH ?? "/usr/bin:/bin"}`, ...extra });
}

/** Every unit of the program compiled in `dir` with `compiler`: through our client, or directly (local). */
async function compileProgram(
  dir: string,
  compiler: string,
  env: NodeJS.ProcessEnv,
  through: "client" | "local",
): Promise<RunResult[]> {
  writeProgram(dir);
  return Promise.all(
    PROGRAM_UNITS.map((u) =>
      through === "client"
        ? run(launcher, [compiler, "-O2", "-c", `${u}.c`, "-o", `${u}.o`], { cwd: dir, env })
        : run(compiler, ["-O2", "-c", `${u}.c`, "-o", `${u}.o`], { cwd: dir, env }),
    ),
  );
}

function spawnLines(log: string): string[] {
  return log.split("\n").filter((l) => l.includes("spawn_child"));
}

async function expectSameObjects(remoteDir: string, localDir: string): Promise<void> {
  for (const u of PROGRAM_UNITS) {
    expect(await disassemble(join(remoteDir, `${u}.o`))).toBe(await disassemble(join(localDir, `${u}.o`)));
    expect(await armAttributes(join(remoteDir, `${u}.o`))).toBe(await armAttributes(join(localDir, `${u}.o`)));
  }
}

async function linkAndRun(
  dir: string,
  linker: string,
  env: NodeJS.ProcessEnv,
  qemu: string,
  sysroot: string,
): Promise<string> {
  const link = await run(linker, [...PROGRAM_UNITS.map((u) => `${u}.o`), "-o", "prog"], { cwd: dir, env });
  expect(link.stderr).toBe("");
  const r = await run(qemu, ["-L", sysroot, "./prog"], { cwd: dir, env: process.env });
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("(a) the blog's prefix mismatch: armv6j-hardfloat-linux-gnueabi-gcc vs the server's arm-linux-gnueabihf-gcc", () => {
  it("compiles remotely with the client's ABI, and the program runs under qemu-arm", async () => {
    const compiler = "armv6j-hardfloat-linux-gnueabi-gcc";
    const env = envFor("a", ours.host, bins.gentoo, { DISTCC_FALLBACK: "0", DISTCC_SKIP_LOCAL_RETRY: "1" });
    const before = spawnLines(ours.log()).length;
    const remoteDir = join(tmp.path, "a-remote");
    const localDir = join(tmp.path, "a-local");
    for (const r of await compileProgram(remoteDir, compiler, env, "client")) expect(r.code, r.stderr).toBe(0);
    // The server log proves where it ran: its own ARM compiler, with the flags that give armv6 defaults.
    const ran = spawnLines(ours.log()).slice(before);
    expect(ran).toHaveLength(3);
    for (const line of ran) expect(line).toMatch(new RegExp(`${ARMHF}-gcc(-\\d+)? -march=armv6 -mfpu=vfp -marm `));
    for (const r of await compileProgram(localDir, compiler, env, "local")) expect(r.code, r.stderr).toBe(0);
    await expectSameObjects(remoteDir, localDir);
    const attrs = await armAttributes(join(remoteDir, "util.o"));
    expect(attrs).toMatch(/Tag_CPU_arch: v6\b/);
    expect(attrs).toMatch(/Tag_FP_arch: VFPv2/);
    expect(attrs).toMatch(/Tag_ABI_VFP_args: VFP registers/);
    expect(attrs).toMatch(/Tag_ARM_ISA_use: Yes/);
    expect(await linkAndRun(remoteDir, join(bins.gentoo, compiler), env, "qemu-arm", `/usr/${ARMHF}`)).toBe(
      EXPECTED_32,
    );
  });
});

describe("(b) the kernel's plain gcc is the ARM compiler on the client, the server's gcc is x86-64", () => {
  it("sends arm-linux-gnueabihf-gcc: ARM objects equal to local ones, program runs under qemu-arm", async () => {
    const env = envFor("b", ours.host, bins.armGcc, { DISTCC_FALLBACK: "0", DISTCC_SKIP_LOCAL_RETRY: "1" });
    const before = spawnLines(ours.log()).length;
    const remoteDir = join(tmp.path, "b-remote");
    const localDir = join(tmp.path, "b-local");
    for (const r of await compileProgram(remoteDir, "gcc", env, "client")) expect(r.code, r.stderr).toBe(0);
    const ran = spawnLines(ours.log()).slice(before);
    expect(ran).toHaveLength(3);
    for (const line of ran) expect(line).toContain(`${ARMHF}-gcc`);
    for (const r of await compileProgram(localDir, "gcc", env, "local")) expect(r.code, r.stderr).toBe(0);
    for (const u of PROGRAM_UNITS) expect(await elfMachine(join(remoteDir, `${u}.o`))).toBe("ARM");
    await expectSameObjects(remoteDir, localDir);
    expect(await linkAndRun(remoteDir, `${ARMHF}-gcc`, process.env, "qemu-arm", `/usr/${ARMHF}`)).toBe(EXPECTED_32);
  });
});

describe("(c) plain gcc is the aarch64 compiler on the client", () => {
  it("sends aarch64-linux-gnu-gcc: AArch64 objects equal to local ones, program runs under qemu-aarch64", async () => {
    const env = envFor("c", ours.host, bins.arm64Gcc, { DISTCC_FALLBACK: "0", DISTCC_SKIP_LOCAL_RETRY: "1" });
    const before = spawnLines(ours.log()).length;
    const remoteDir = join(tmp.path, "c-remote");
    const localDir = join(tmp.path, "c-local");
    for (const r of await compileProgram(remoteDir, "gcc", env, "client")) expect(r.code, r.stderr).toBe(0);
    const ran = spawnLines(ours.log()).slice(before);
    expect(ran).toHaveLength(3);
    for (const line of ran) expect(line).toContain("aarch64-linux-gnu-gcc");
    for (const r of await compileProgram(localDir, "gcc", env, "local")) expect(r.code, r.stderr).toBe(0);
    for (const u of PROGRAM_UNITS) expect(await elfMachine(join(remoteDir, `${u}.o`))).toBe("AArch64");
    await expectSameObjects(remoteDir, localDir);
    expect(
      await linkAndRun(remoteDir, "aarch64-linux-gnu-gcc", process.env, "qemu-aarch64", "/usr/aarch64-linux-gnu"),
    ).toBe(EXPECTED_64);
  });
});

describe("(d) a target the server lacks", () => {
  let narrow: ServerHandle;
  beforeAll(async () => {
    // The same server program, looking for compilers only in LLVM's directory: it has clang, no gcc.
    narrow = await startOurServer({ cacheDir: join(tmp.path, "narrow-cache"), env: { DISTCCD_PATH: llvmBinDir() } });
  }, 60_000);
  afterAll(async () => {
    await narrow?.stop();
  });

  it("compiles locally, says which toolchain the helper lacks, and doctor prints the fix", async () => {
    const dir = join(tmp.path, "d");
    mkdirSync(dir, { recursive: true });
    writeProgram(dir);
    const env = envFor("d", narrow.host, bins.arm64Gcc);
    const r = await run(launcher, ["aarch64-linux-gnu-gcc", "-O2", "-c", "util.c", "-o", "util.o"], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("no gcc for aarch64-linux-gnu");
    expect(r.stderr).toContain("apt-get install gcc-aarch64-linux-gnu");
    expect(await elfMachine(join(dir, "util.o"))).toBe("AArch64");
    expect(spawnLines(narrow.log())).toHaveLength(0);

    // Without the fallback nothing is faked: the job fails.
    const strict = await run(launcher, ["aarch64-linux-gnu-gcc", "-O2", "-c", "words.c", "-o", "words.o"], {
      cwd: dir,
      env: envFor("d-strict", narrow.host, bins.arm64Gcc, { DISTCC_FALLBACK: "0" }),
    });
    expect(strict.code).not.toBe(0);
    expect(existsSync(join(dir, "words.o"))).toBe(false);

    const doctor = await run(process.execPath, [CLI, "doctor", "aarch64-linux-gnu-gcc", "clang"], { cwd: dir, env });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`${narrow.host}: reachable, our distcc-server`);
    expect(doctor.stdout).toMatch(/FAIL {2}aarch64-linux-gnu-gcc .*no gcc for aarch64-linux-gnu/);
    expect(doctor.stdout).toMatch(/ok {4}clang: sent as 'clang -target x86_64-pc-linux-gnu'.*same as a local compile/);
    expect(doctor.stdout).toContain("To fix, run:\n  127.0.0.1: apt-get install gcc-aarch64-linux-gnu\n");
  });
});

describe("(e) a helper that returns a wrong-architecture object", () => {
  let liar: ServerHandle & { jobs(): number };
  beforeAll(async () => {
    liar = await startLyingServer(join(tmp.path, "liar"));
  });
  afterAll(async () => {
    await liar?.stop();
  });

  it("is caught: no x86 object in an ARM build, a host failure, a local compile when allowed", async () => {
    const dir = join(tmp.path, "e");
    writeProgram(dir);
    const strict = await run(launcher, ["gcc", "-O2", "-c", "util.c", "-o", "util.o"], {
      cwd: dir,
      env: envFor("e-strict", liar.host, bins.armGcc, { DISTCC_FALLBACK: "0" }),
    });
    expect(liar.jobs()).toBe(1);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toMatch(/wrong object for arm-linux-gnueabihf: object is for ELF machine 62, expected 40/);
    expect(existsSync(join(dir, "util.o"))).toBe(false);

    const lenient = await run(launcher, ["gcc", "-O2", "-c", "util.c", "-o", "util.o"], {
      cwd: dir,
      env: envFor("e", liar.host, bins.armGcc),
    });
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stderr).toContain("wrong object");
    expect(await elfMachine(join(dir, "util.o"))).toBe("ARM");
  });
});

describe("(f) plain gcc is ARM on the client, against a real Debian distccd", () => {
  let distccd: ServerHandle;
  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 4 });
  }, 60_000);
  afterAll(async () => {
    await distccd?.stop();
  });

  it("the rewrite alone makes it work: ARM objects equal to local ones; doctor agrees", async () => {
    const env = envFor("f", `${distccd.host}/4,lzo`, bins.armGcc, {
      DISTCC_FALLBACK: "0",
      DISTCC_SKIP_LOCAL_RETRY: "1",
    });
    const remoteDir = join(tmp.path, "f-remote");
    const localDir = join(tmp.path, "f-local");
    for (const r of await compileProgram(remoteDir, "gcc", env, "client")) expect(r.code, r.stderr).toBe(0);
    expect((await waitForJobs(distccd.log, { ok: 3 })).ok).toBe(3);
    expect(distccd.log()).toContain(`${ARMHF}-gcc`);
    for (const r of await compileProgram(localDir, "gcc", env, "local")) expect(r.code, r.stderr).toBe(0);
    for (const u of PROGRAM_UNITS) expect(await elfMachine(join(remoteDir, `${u}.o`))).toBe("ARM");
    await expectSameObjects(remoteDir, localDir);

    const doctor = await run(process.execPath, [CLI, "doctor", "gcc"], { cwd: remoteDir, env });
    expect(doctor.stdout).toContain("reachable, a distccd");
    expect(doctor.stdout).toMatch(
      /ok {4}gcc: sent as 'arm-linux-gnueabihf-gcc -march=armv7-a\+fp -mfloat-abi=hard -mthumb', object ARM ELF32, little-endian, hard float, CPU v7, same as a local compile/,
    );
    expect(doctor.code).toBe(0);
  });
});

describe("(g) same name, other defaults: Raspbian's armv6 arm-linux-gnueabihf-gcc against Debian's armv7 one in a real distccd", () => {
  let distccd: ServerHandle;
  beforeAll(async () => {
    distccd = await startDistccd({ jobs: 4 });
  }, 60_000);
  afterAll(async () => {
    await distccd?.stop();
  });

  it("the client's defaults travel as options: armv6 objects equal to local ones, the program runs under qemu-arm", async () => {
    const compiler = `${ARMHF}-gcc`;
    const env = envFor("g", `${distccd.host}/4,lzo`, bins.raspbian, {
      DISTCC_FALLBACK: "0",
      DISTCC_SKIP_LOCAL_RETRY: "1",
      DISTCC_VERBOSE: "1",
    });
    const remoteDir = join(tmp.path, "g-remote");
    const localDir = join(tmp.path, "g-local");
    const results = await compileProgram(remoteDir, compiler, env, "client");
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results[0]?.stderr).toContain("-march=armv6+fp -mfpu=vfp -mfloat-abi=hard -marm");
    expect((await waitForJobs(distccd.log, { ok: 3 })).ok).toBe(3);
    for (const r of await compileProgram(localDir, compiler, env, "local")) expect(r.code, r.stderr).toBe(0);
    await expectSameObjects(remoteDir, localDir);
    expect(await armAttributes(join(remoteDir, "util.o"))).toMatch(/Tag_CPU_arch: v6\b/);
    const link = await run(join(bins.raspbian, compiler), [...PROGRAM_UNITS.map((u) => `${u}.o`), "-o", "prog"], {
      cwd: remoteDir,
      env,
    });
    expect(link.code, link.stderr).toBe(0);
    // The C library is armv7 on Debian: only our objects are armv6 here, so the program runs on a v7 CPU.
    const r = await run("qemu-arm", ["-L", `/usr/${ARMHF}`, "./prog"], { cwd: remoteDir, env: process.env });
    expect(r.stdout).toBe(EXPECTED_32);
  });

  it("without the options (DISTCC_NO_REWRITE_CROSS), the helper's armv7 object is caught, not written", async () => {
    const dir = join(tmp.path, "g-norewrite");
    writeProgram(dir);
    const env = envFor("g-norewrite", `${distccd.host}/4,lzo`, bins.raspbian, {
      DISTCC_FALLBACK: "0",
      DISTCC_NO_REWRITE_CROSS: "1",
    });
    const r = await run(launcher, [`${ARMHF}-gcc`, "-O2", "-c", "util.c", "-o", "util.o"], { cwd: dir, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ARM architecture tag 10, newer than the local compiler's armv6\+fp/);
    expect(existsSync(join(dir, "util.o"))).toBe(false);
  });
});

describe("(h) pump mode (,cpp,lzo) with a Pi-like client: the client's own headers, the helper's cross compiler", () => {
  it("to our server: armv6 objects equal to local ones over protocol 3, the program runs under qemu-arm", async () => {
    const compiler = "armv6j-hardfloat-linux-gnueabi-gcc";
    const env = envFor("h-ours", `${ours.host},cpp,lzo`, bins.gentoo, { DISTCC_FALLBACK: "0", DISTCC_VERBOSE: "1" });
    const before = ours.log().length;
    const remoteDir = join(tmp.path, "h-remote");
    const localDir = join(tmp.path, "h-local");
    for (const r of await compileProgram(remoteDir, compiler, env, "client")) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/protocol 3, \d+ files/);
    }
    const served = ours.log().slice(before);
    expect(served.match(/COMPILE_OK .*proto:3/g)).toHaveLength(3);
    // The client's system directories travel as -isystem: the ARM cross compiler's, not the server's.
    expect(spawnLines(served).every((l) => l.includes(`-isystem`) && l.includes(`/usr/lib/gcc-cross/${ARMHF}/`))).toBe(
      true,
    );
    for (const r of await compileProgram(localDir, compiler, env, "local")) expect(r.code, r.stderr).toBe(0);
    await expectSameObjects(remoteDir, localDir);
    expect(await linkAndRun(remoteDir, join(bins.gentoo, compiler), env, "qemu-arm", `/usr/${ARMHF}`)).toBe(
      EXPECTED_32,
    );
  });

  it("to a real distccd: the kernel's plain gcc as the ARM compiler, ARM objects equal to local ones", async () => {
    const distccd = await startDistccd({ jobs: 2 });
    try {
      const env = envFor("h-distccd", `${distccd.host},cpp,lzo`, bins.armGcc, {
        DISTCC_FALLBACK: "0",
        DISTCC_VERBOSE: "1",
      });
      const remoteDir = join(tmp.path, "h2-remote");
      const localDir = join(tmp.path, "h2-local");
      for (const r of await compileProgram(remoteDir, "gcc", env, "client")) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(/protocol 3/);
      }
      expect(distccd.log()).toMatch(/DIST00000003/);
      for (const r of await compileProgram(localDir, "gcc", env, "local")) expect(r.code, r.stderr).toBe(0);
      for (const u of PROGRAM_UNITS) expect(await elfMachine(join(remoteDir, `${u}.o`))).toBe("ARM");
      await expectSameObjects(remoteDir, localDir);
    } finally {
      await distccd.stop();
    }
  });
});
