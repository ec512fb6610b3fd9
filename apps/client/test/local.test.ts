import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";

describe("jobs that stay on this machine", () => {
  const tmp = makeTempDir("client-local-");
  const distccDir = join(tmp.path, "state");
  let launcher = "";

  beforeAll(() => {
    ({ launcher } = makeLinks(join(tmp.path, "links")));
    writeFileSync(join(tmp.path, "ok.c"), "int ok(void) { return 1; }\n");
    writeFileSync(join(tmp.path, "bad.c"), "int bad(void) { return nope; }\n");
    writeFileSync(join(tmp.path, "args.rsp"), "-O2 -c ok.c -o rsp.o\n");
  });
  afterAll(async () => {
    await stopAgent(distccDir);
    tmp.remove();
  });

  it("localhost in the host list: compiled here, same object, same errors and status as gcc", async () => {
    const env = clientEnv(distccDir, "localhost/2");
    const r = await run(launcher, ["gcc", "-O2", "-c", "ok.c", "-o", "a.o"], { cwd: tmp.path, env });
    expect(r.code, r.stderr).toBe(0);
    await run("gcc", ["-O2", "-c", "ok.c", "-o", "b.o"], { cwd: tmp.path, env: process.env });
    expect(readFileSync(join(tmp.path, "a.o")).equals(readFileSync(join(tmp.path, "b.o")))).toBe(true);
    const mine = await run(launcher, ["gcc", "-c", "bad.c"], { cwd: tmp.path, env });
    const theirs = await run("gcc", ["-c", "bad.c"], { cwd: tmp.path, env: process.env });
    expect(mine.code).toBe(theirs.code);
    expect(mine.stderr).toBe(theirs.stderr);
  });

  it("an empty host list compiles locally, or exits 116 with DISTCC_FALLBACK=0 (as distcc)", async () => {
    const ok = await run(launcher, ["gcc", "-c", "ok.c", "-o", "e.o"], {
      cwd: tmp.path,
      env: clientEnv(distccDir, ""),
    });
    expect(ok.code, ok.stderr).toBe(0);
    const strict = await run(launcher, ["gcc", "-c", "ok.c", "-o", "f.o"], {
      cwd: tmp.path,
      env: clientEnv(distccDir, "", { DISTCC_FALLBACK: "0" }),
    });
    expect(strict.code).toBe(116);
  });

  it("@file response files are expanded", async () => {
    const r = await run(launcher, ["gcc", "@args.rsp"], { cwd: tmp.path, env: clientEnv(distccDir, "localhost") });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(tmp.path, "rsp.o")).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  });

  it("recursion guard: exit 111 when called by itself; a missing compiler is exit 110", async () => {
    const env = clientEnv(distccDir, "localhost", { _DISTCC_SAFEGUARD: "1" });
    const r = await run(launcher, ["gcc", "-c", "ok.c"], { cwd: tmp.path, env });
    expect(r.code).toBe(111);
    expect(r.stderr).toContain("recursively");
    const missing = await run(launcher, ["no-such-cc", "-c", "ok.c"], {
      cwd: tmp.path,
      env: clientEnv(distccDir, "localhost"),
    });
    expect(missing.code).toBe(110);
    expect(missing.stderr).toContain("no-such-cc");
  });

  it("a compiler's exit status and stdout pass through the exec'd local run", async () => {
    const r = await run(launcher, ["gcc", "--version"], { cwd: tmp.path, env: clientEnv(distccDir, "localhost") });
    const g = await run("gcc", ["--version"], { cwd: tmp.path, env: process.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(g.stdout);
  });
});
