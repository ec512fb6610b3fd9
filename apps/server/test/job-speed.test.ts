// What the server does to be cheaper per job must change nothing a client sees: `-pipe` objects
// are byte for byte those of a compile without it, and job folders on a memory filesystem are
// removed after every kind of end.
import { waitFor } from "@x/testkit";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTempDir, isMemoryFilesystem, JobFolders } from "../src/job-folder.js";
import { serverFlags } from "../src/prepare-job.js";
import { clientDir, distccEnv, exchange, jobAfter, run, startTestServer, type TestServer } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

const C_SOURCE =
  '#include <stdio.h>\nstatic int sq(int x) { return x * x; }\nint main(void) { for (int i = 0; i < 3; i++) printf("%d\\n", sq(i)); return 0; }\n';
const CPP_SOURCE =
  "#include <numeric>\n#include <string>\n#include <vector>\nstd::string total(const std::vector<int>& v) { return std::to_string(std::accumulate(v.begin(), v.end(), 0)); }\n";
const ERROR_SOURCE = "int f(int x) { return x +; }\n";

describe("serverFlags: -pipe added to GCC/Clang compiles that lack it", () => {
  it("adds -pipe after the whitelist's flags", () => {
    expect(serverFlags("/usr/bin/x86_64-linux-gnu-gcc-12", ["gcc", "-c", "a.c"], ["-m32"], true)).toEqual([
      "-m32",
      "-pipe",
    ]);
    for (const exe of [
      "/usr/bin/gcc",
      "/usr/bin/g++-12",
      "/usr/bin/cc",
      "/usr/bin/c++",
      "/usr/bin/clang-16",
      "/usr/bin/arm-linux-gnueabihf-g++",
    ]) {
      expect(serverFlags(exe, ["x", "-c", "a.c"], [], true), exe).toEqual(["-pipe"]);
    }
  });
  it("does not add it when the client gave it, asked for temporary files, or when turned off", () => {
    expect(serverFlags("/usr/bin/gcc", ["gcc", "-pipe", "-c", "a.c"], [], true)).toEqual([]);
    expect(serverFlags("/usr/bin/gcc", ["gcc", "-save-temps=obj", "-c", "a.c"], [], true)).toEqual([]);
    expect(serverFlags("/usr/bin/gcc", ["gcc", "-c", "a.c"], ["-m32"], false)).toEqual(["-m32"]);
  });
  it("does not add it to a compiler that is not a GCC or Clang driver", () => {
    expect(serverFlags("/opt/nv/bin/nvcc", ["nvcc", "-c", "a.cu"], [], true)).toEqual([]);
    expect(serverFlags("/usr/bin/tcc", ["tcc", "-c", "a.c"], [], true)).toEqual([]);
  });
});

describe("-pipe: the same object as without it", () => {
  let piped: TestServer;
  let plain: TestServer;
  let dir: ReturnType<typeof clientDir>;

  beforeAll(async () => {
    [piped, plain] = await Promise.all([startTestServer(), startTestServer({ pipe: false })]);
    dir = clientDir();
    writeFileSync(join(dir.path, "x.c"), C_SOURCE);
    writeFileSync(join(dir.path, "y.cpp"), CPP_SOURCE);
  });
  afterAll(async () => {
    await Promise.all([piped?.stop(), plain?.stop()]);
    dir?.remove();
  });

  it.each([
    ["gcc", "x.c", ["-O0"]],
    ["gcc", "x.c", ["-O2", "-g"]],
    ["g++", "y.cpp", ["-O3", "-g3"]],
    ["g++", "y.cpp", ["-Os", "-gdwarf-4"]],
  ] as const)("%s %s %s: byte-identical objects", async (compiler, source, flags) => {
    const tag = `${compiler}${flags.join("")}`;
    const objects: Buffer[] = [];
    for (const [srv, name] of [
      [piped, "piped"],
      [plain, "plain"],
    ] as const) {
      const before = srv.jobs.length;
      const out = `${tag}-${name}.o`;
      const r = await run("distcc", [compiler, ...flags, "-c", source, "-o", out], {
        cwd: dir.path,
        env: distccEnv(srv.hosts, dir.distccDir),
      });
      expect(r.code, r.stderr).toBe(0);
      expect((await jobAfter(srv, before)).result).toBe("COMPILE_OK");
      objects.push(readFileSync(join(dir.path, out)));
    }
    expect(objects[0]!.equals(objects[1]!)).toBe(true);
    // It really ran with -pipe on one server and without on the other (the info log has the command).
    const command = (srv: TestServer): string => srv.lines.filter((l) => l.includes("(spawn_child)")).at(-1) ?? "";
    expect(command(piped).split(" ")).toContain("-pipe");
    expect(command(plain).split(" ")).not.toContain("-pipe");
  });
});

describe("job folders on a memory filesystem", () => {
  let shm: string;
  let srv: TestServer;
  let dir: ReturnType<typeof clientDir>;
  const empty = (): Promise<boolean> => waitFor(`${shm} to be empty`, () => readdirSync(shm).length === 0);

  beforeAll(async () => {
    shm = mkdtempSync("/dev/shm/distcc-server-test-");
    srv = await startTestServer({ tempDir: shm });
    dir = clientDir();
    writeFileSync(join(dir.path, "x.c"), C_SOURCE);
    writeFileSync(join(dir.path, "error.c"), ERROR_SOURCE);
  });
  afterAll(async () => {
    await srv?.stop();
    dir?.remove();
    if (shm) rmSync(shm, { recursive: true, force: true });
  });

  it("/dev/shm is found to be in memory and is the default place of job folders (with 1 GiB free)", () => {
    expect(isMemoryFilesystem(shm)).toBe(true);
    expect(new JobFolders(shm).inMemory).toBe(true);
    const fs = statfsSync("/dev/shm");
    expect(defaultTempDir()).toBe(fs.bavail * fs.bsize >= 1 << 30 ? "/dev/shm" : tmpdir());
  });

  it("a successful compile leaves nothing", async () => {
    const before = srv.jobs.length;
    const r = await run("distcc", ["gcc", "-O2", "-c", "x.c", "-o", "x.o"], {
      cwd: dir.path,
      env: distccEnv(srv.hosts, dir.distccDir),
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await jobAfter(srv, before)).result).toBe("COMPILE_OK");
    expect(await empty()).toBe(true);
  });

  it("a compile error leaves nothing", async () => {
    const before = srv.jobs.length;
    const r = await run("distcc", ["gcc", "-c", "error.c", "-o", "error.o"], {
      cwd: dir.path,
      env: distccEnv(srv.hosts, dir.distccDir, { DISTCC_SKIP_LOCAL_RETRY: "1" }),
    });
    expect(r.code).not.toBe(0);
    expect((await jobAfter(srv, before)).result).toBe("COMPILE_ERROR");
    expect(await empty()).toBe(true);
  });

  it("a client that goes away during the compile leaves nothing", async () => {
    const before = srv.jobs.length;
    const r = await exchange(srv.port, capture("hc-halfclose", "c2s"), { halfClose: true });
    expect(decodeResponse(r.bytes, 1).status).toBe(107 << 8);
    expect((await jobAfter(srv, before)).result).toBe("CLI_DISCONN");
    expect(await empty()).toBe(true);
  });

  it("a compile killed by --job-lifetime leaves nothing", async () => {
    const timed = await startTestServer({ tempDir: shm, jobLifetimeMs: 1 });
    try {
      const r = await exchange(timed.port, capture("p1-hello-c", "c2s"));
      expect(decodeResponse(r.bytes, 1).status).toBe(118 << 8);
      expect((await jobAfter(timed, 0)).result).toBe("COMPILE_TIMEOUT");
      expect(await empty()).toBe(true);
    } finally {
      await timed.stop();
    }
  });
});
