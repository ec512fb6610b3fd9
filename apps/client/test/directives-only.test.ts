// Directives-only preprocessing end to end, through a real distccd: what goes on the wire (seen by a
// recording proxy; protocol 1 bodies are not compressed) and what comes back.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, type DistccdHandle } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent } from "./helpers.js";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.js";
import { writeScript } from "./cross-helpers.js";

const tmp = makeTempDir("client-directives-only-");
const distccDir = join(tmp.path, "state");
let launcher = "";
let distccd: DistccdHandle;
let proxy: RecordingProxy;

beforeAll(async () => {
  ({ launcher } = makeLinks(join(tmp.path, "links")));
  distccd = await startDistccd({ jobs: 2 });
  proxy = await startRecordingProxy(distccd);
}, 60_000);

afterAll(async () => {
  await stopAgent(distccDir);
  await proxy?.stop();
  await distccd?.stop();
  tmp.remove();
});

const SOURCES: Record<string, string> = {
  "sq.h": '#define SQUARE(x) ((x) * (x))\n#define NAME "sq"\n',
  "main.c":
    '#include <stdio.h>\n#include "sq.h"\nint main(void) { printf("%s %d\\n", NAME, SQUARE(LEVEL)); return 0; }\n',
  "base.c": "#include <stdio.h>\n#define WHO() puts(__BASE_FILE__)\nvoid who(void) { WHO(); }\n",
};

function project(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(dir, file), text);
  return dir;
}

/** Compiles `file` through the launcher (protocol 1, no fallback), and returns the one request sent. */
async function distribute(
  name: string,
  compiler: string,
  file: string,
  extra: Record<string, string> = {},
): Promise<{ dir: string; request: string }> {
  const dir = project(name);
  const before = proxy.requests().length;
  const env = clientEnv(distccDir, proxy.host, { DISTCC_FALLBACK: "0", DISTCC_SKIP_LOCAL_RETRY: "1", ...extra });
  const r = await run(launcher, [compiler, "-O2", "-DLEVEL=6", "-c", file, "-o", "out.o"], { cwd: dir, env });
  expect(r.code, r.stderr).toBe(0);
  const requests = proxy.requests();
  expect(requests).toHaveLength(before + 1);
  return { dir, request: requests[before]!.toString("latin1") };
}

async function localObject(name: string, compiler: string, file: string): Promise<string> {
  const dir = project(name);
  const r = await run(compiler, ["-O2", "-DLEVEL=6", "-c", file, "-o", "out.o"], { cwd: dir, env: process.env });
  expect(r.code, r.stderr).toBe(0);
  return join(dir, "out.o");
}

describe("directives-only preprocessing through a real distccd", () => {
  it("gcc jobs are preprocessed directives-only: -fdirectives-only is sent, the macros travel, the object is local's", async () => {
    const { dir, request } = await distribute("light", "gcc", "main.c");
    expect(request).toContain("-fdirectives-only");
    expect(request).toContain("#define SQUARE(x) ((x) * (x))");
    expect(request).toContain("#define LEVEL 6"); // the -D, which the server never sees as an option
    expect(request).not.toMatch(/\b-DLEVEL/);
    expect(await disassemble(join(dir, "out.o"))).toBe(
      await disassemble(await localObject("light-local", "gcc", "main.c")),
    );
    const linked = await run("gcc", ["out.o", "-o", "main"], { cwd: dir, env: process.env });
    expect(linked.code).toBe(0);
    expect((await run(join(dir, "main"), [], { cwd: dir, env: process.env })).stdout).toBe("sq 36\n");
  });

  it("DISTCC_DIRECTIVES_ONLY=0 sends distcc's fully preprocessed source", async () => {
    const { request } = await distribute("full", "gcc", "main.c", { DISTCC_DIRECTIVES_ONLY: "0" });
    expect(request).not.toContain("-fdirectives-only");
    expect(request).not.toContain("#define SQUARE");
    expect(request).toContain("((6) * (6))");
  });

  it("a source naming __BASE_FILE__ is preprocessed again, fully: the object names the client's file, not distccd's", async () => {
    const { dir, request } = await distribute("base", "gcc", "base.c", { DISTCC_VERBOSE: "1" });
    expect(request).not.toContain("-fdirectives-only");
    expect(request).toContain('puts("base.c")');
    expect(readFileSync(join(dir, "out.o")).includes("base.c")).toBe(true);
  });

  it("a directives-only preprocessing that fails is done again fully: this mode never fails a build", async () => {
    // A gcc whose directives-only preprocessor breaks (the real one would only on a gcc bug).
    const bin = join(tmp.path, "brittle-bin");
    writeScript(
      bin,
      "gcc",
      'for a in "$@"; do [ "$a" = -fdirectives-only ] && { echo "cc1: internal error" >&2; exit 4; }; done\nexec /usr/bin/gcc "$@"',
    );
    const { dir, request } = await distribute("brittle", "gcc", "main.c", {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    });
    expect(request).not.toContain("-fdirectives-only");
    expect(request).toContain("((6) * (6))");
    expect(await disassemble(join(dir, "out.o"))).toBe(
      await disassemble(await localObject("brittle-local", "gcc", "main.c")),
    );
  });

  it("clang keeps full preprocessing (it has no -fdirectives-only)", async () => {
    const { request } = await distribute("clang", "clang", "main.c");
    expect(request).not.toContain("-fdirectives-only");
    expect(request).toContain("((6) * (6))");
  });
});
