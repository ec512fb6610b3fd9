import { readFileSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@x/testkit";
import {
  clientDir,
  diagnosticLines,
  disassembly,
  distccEnv,
  run,
  startTestServer,
  type TestServer,
} from "./helpers.js";

const HELLO_H = '#define GREETING "hello"\nint twice(int x);\n';
const HELLO_C =
  '#include <stdio.h>\n#include "hello.h"\nint twice(int x) { return 2 * x; }\nint main(void) { printf("%s %d\\n", GREETING, twice(21)); return 0; }\n';
const HELLO_CPP =
  "#include <vector>\n#include <numeric>\nint sum(const std::vector<int>& v) { return std::accumulate(v.begin(), v.end(), 0); }\n";
const WARNING_C = "int f(int x) { int unused; return x; }\n";
const ERROR_C = "int f(int x) { return x +; }\n";

let srv: TestServer;
let dir: ReturnType<typeof clientDir>;

beforeAll(async () => {
  srv = await startTestServer();
  dir = clientDir();
  writeFileSync(join(dir.path, "hello.h"), HELLO_H);
  writeFileSync(join(dir.path, "hello.c"), HELLO_C);
  writeFileSync(join(dir.path, "hello.cpp"), HELLO_CPP);
  writeFileSync(join(dir.path, "warning.c"), WARNING_C);
  writeFileSync(join(dir.path, "error.c"), ERROR_C);
});

afterAll(async () => {
  await srv?.stop();
  dir?.remove();
});

function okCount(): number {
  return srv.server.stats().results.COMPILE_OK;
}

describe.each([
  ["protocol 1", ""],
  ["protocol 2 (lzo)", ",lzo"],
])("Debian distcc through our server, %s", (_name, suffix) => {
  const env = (): NodeJS.ProcessEnv => distccEnv(`${srv.hosts}${suffix}`, dir.distccDir);
  const tag = suffix ? "lzo" : "plain";

  async function compareObject(compiler: string, args: string[], source: string): Promise<void> {
    const before = okCount();
    const remote = await run("distcc", [compiler, ...args, "-c", source, "-o", `${tag}-remote.o`], {
      cwd: dir.path,
      env: env(),
    });
    expect(remote.code, remote.stderr).toBe(0);
    await waitFor("okCount() === before + 1", () => okCount() === before + 1); // it really ran on our server
    const local = await run(compiler, [...args, "-c", source, "-o", `${tag}-local.o`], { cwd: dir.path });
    expect(local.code).toBe(0);
    expect(await disassembly(`${tag}-remote.o`, dir.path)).toBe(await disassembly(`${tag}-local.o`, dir.path));
  }

  it("compiles C to the same code as a local gcc", () => compareObject("gcc", ["-O2"], "hello.c"));
  it("compiles C++ to the same code as a local g++", () => compareObject("g++", ["-O2", "-std=c++17"], "hello.cpp"));
  it("compiles with -g to the same code", () => compareObject("gcc", ["-g", "-O1"], "hello.c"));

  it("passes a warning through with success", async () => {
    const before = okCount();
    const remote = await run("distcc", ["gcc", "-Wall", "-c", "warning.c", "-o", `${tag}-w.o`], {
      cwd: dir.path,
      env: env(),
    });
    const local = await run("gcc", ["-Wall", "-c", "warning.c", "-o", `${tag}-wl.o`], { cwd: dir.path });
    expect(remote.code).toBe(0);
    await waitFor("okCount() === before + 1", () => okCount() === before + 1);
    expect(diagnosticLines(remote.stderr)).toEqual(diagnosticLines(local.stderr));
    expect(diagnosticLines(remote.stderr).length).toBeGreaterThan(0);
  });

  it("gives a compile error the same diagnostics and exit status as a local gcc", async () => {
    const before = srv.server.stats().results.COMPILE_ERROR;
    const remote = await run("distcc", ["gcc", "-c", "error.c", "-o", `${tag}-e.o`], { cwd: dir.path, env: env() });
    const local = await run("gcc", ["-c", "error.c", "-o", `${tag}-el.o`], { cwd: dir.path });
    expect(remote.code).toBe(local.code);
    expect(local.code).toBe(1);
    await waitFor(
      "srv.server.stats().results.COMPILE_ERROR === before + 1",
      () => srv.server.stats().results.COMPILE_ERROR === before + 1,
    );
    expect(diagnosticLines(remote.stderr)).toEqual(diagnosticLines(local.stderr));
  });

  it("produces the same assembler with -S", async () => {
    const remote = await run("distcc", ["gcc", "-O2", "-S", "hello.c", "-o", `${tag}-r.s`], {
      cwd: dir.path,
      env: env(),
    });
    expect(remote.code, remote.stderr).toBe(0);
    await run("gcc", ["-O2", "-S", "hello.c", "-o", `${tag}-l.s`], { cwd: dir.path });
    expect(readFileSync(join(dir.path, `${tag}-r.s`), "utf8")).toBe(readFileSync(join(dir.path, `${tag}-l.s`), "utf8"));
  });

  it("writes the dependency file with -MD -MF", async () => {
    // `-o hello.o`: the client's cpp never sees -o, so its .d target is always <input>.o (spec 9.5).
    const remote = await run("distcc", ["gcc", "-MD", "-MF", `${tag}-r.d`, "-c", "hello.c", "-o", "hello.o"], {
      cwd: dir.path,
      env: env(),
    });
    expect(remote.code, remote.stderr).toBe(0);
    await run("gcc", ["-MD", "-MF", `${tag}-l.d`, "-c", "hello.c", "-o", "hello.o"], { cwd: dir.path });
    expect(readFileSync(join(dir.path, `${tag}-r.d`), "utf8")).toBe(readFileSync(join(dir.path, `${tag}-l.d`), "utf8"));
  });

  it("works in masquerade mode (a gcc link to distcc first on PATH)", async () => {
    const masq = join(dir.path, `masq-${tag}`);
    mkdirSync(masq, { recursive: true });
    try {
      symlinkSync("/usr/bin/distcc", join(masq, "gcc"));
    } catch {
      // made by an earlier run of this case
    }
    const before = okCount();
    const remote = await run("gcc", ["-O2", "-c", "hello.c", "-o", `${tag}-m.o`], {
      cwd: dir.path,
      env: { ...env(), PATH: `${masq}:${process.env.PATH}` },
    });
    expect(remote.code, remote.stderr).toBe(0);
    await waitFor("okCount() === before + 1", () => okCount() === before + 1);
    await run("gcc", ["-O2", "-c", "hello.c", "-o", `${tag}-ml.o`], { cwd: dir.path });
    expect(await disassembly(`${tag}-m.o`, dir.path)).toBe(await disassembly(`${tag}-ml.o`, dir.path));
  });

  it("leaves nothing in the server's temp dir", async () => {
    expect(await srv.leftovers()).toEqual([]);
  });
});

describe("cross compilers", () => {
  it("arm-linux-gnueabihf-gcc through our server gives the object of a local cross compile (no symlinks made)", async () => {
    const before = okCount();
    const remote = await run("distcc", ["arm-linux-gnueabihf-gcc", "-O2", "-c", "hello.c", "-o", "arm-remote.o"], {
      cwd: dir.path,
      env: distccEnv(`${srv.hosts},lzo`, dir.distccDir),
    });
    expect(remote.code, remote.stderr).toBe(0);
    await waitFor("okCount() === before + 1", () => okCount() === before + 1);
    await run("arm-linux-gnueabihf-gcc", ["-O2", "-c", "hello.c", "-o", "arm-local.o"], { cwd: dir.path });
    const file = await run("file", ["arm-remote.o"], { cwd: dir.path });
    expect(file.stdout).toMatch(/ARM/);
    expect(readFileSync(join(dir.path, "arm-remote.o")).equals(readFileSync(join(dir.path, "arm-local.o")))).toBe(true);
  });
});

describe("refusals a real client understands", () => {
  it("a compiler the server does not know: the client prints the reason from SERR", async () => {
    const fake = join(dir.path, "fakebin");
    mkdirSync(fake, { recursive: true });
    try {
      symlinkSync("/usr/bin/gcc", join(fake, "mycc"));
    } catch {
      // exists
    }
    const r = await run("distcc", ["mycc", "-c", "hello.c", "-o", "mycc.o"], {
      cwd: dir.path,
      env: distccEnv(srv.hosts, dir.distccDir, { PATH: `${fake}:${process.env.PATH}` }),
    });
    expect(r.code).not.toBe(0);
    // Not installed there at all: distccd's words (its test suite greps them), with why.
    expect(r.stderr).toContain(
      'distcc-server: ERROR: failed to exec mycc: compiler "mycc" is not installed on this server',
    );
    await waitFor('/mycc/.test(srv.jobs.at(-1)?.reason ?? "")', () => /mycc/.test(srv.jobs.at(-1)?.reason ?? ""));
    expect(await srv.leftovers()).toEqual([]);
  });
});
