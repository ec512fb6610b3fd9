// The protocol 3 rewrite run by the real gcc: a job laid out the way distccd lays it out (client
// files under <root><client path>, compile in <root><CDIR>) must compile, with the .d file where
// the rewrite says, and absolute include paths found under the root.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { rewriteServerJob } from "./server-rewrite.js";
import { scanExpandedArgs } from "./scan.js";

const tmp = makeTempDir("args-p3-");
afterAll(() => tmp.remove());

const CDIR = "/home/user/project/src";

function layOut(root: string): void {
  mkdirSync(join(root, CDIR), { recursive: true });
  mkdirSync(join(root, "/opt/inc"), { recursive: true });
  writeFileSync(join(root, CDIR, "local.h"), "#define LOCAL 1\n");
  writeFileSync(join(root, "/opt/inc/abs.h"), "#define ABS 2\n");
  writeFileSync(join(root, "/opt/inc/pre.h"), "#define PRE 3\n");
  writeFileSync(join(root, CDIR, "hello.c"), '#include "local.h"\n#include <abs.h>\nint x = LOCAL + ABS + PRE;\n');
}

describe("protocol 3 rewrite with the real gcc", () => {
  const received: Array<[string, string]> = [
    ["relative input", "gcc -O2 -I/opt/inc -include /opt/inc/pre.h -c hello.c -o hello.o"],
    ["absolute input", `gcc -O2 -I /opt/inc -include/opt/inc/pre.h -c ${CDIR}/hello.c -o hello.o`],
    [
      "with -MD -MF and -MT",
      "gcc -O2 -isystem /opt/inc -include /opt/inc/pre.h -MD -MF hello.d -c hello.c -o hello.o -MT obj/hello.o",
    ],
  ];
  received.forEach(([name, line], n) => {
    it(name, () => {
      const root = join(tmp.path, `root${n}`);
      layOut(root);
      const scan = scanExpandedArgs(line.split(" "));
      expect(scan.distributable).toBe(true);
      if (!scan.distributable) return;
      const output = join(tmp.path, `out${n}.o`);
      const depsFile = join(tmp.path, `out${n}.deps`);
      const job = rewriteServerJob(scan.argv, { input: "", output, root, cwd: CDIR, depsFile });
      execFileSync(job.argv[0]!, job.argv.slice(1), { cwd: join(root, CDIR), stdio: ["ignore", "ignore", "pipe"] });
      expect(existsSync(output)).toBe(true);
      const deps = readFileSync(depsFile, "utf8");
      // Every header came from inside the root (the server then deletes the root from the text).
      expect(deps).toContain(`${root}/opt/inc/abs.h`);
      expect(deps).toContain(`${root}/opt/inc/pre.h`);
      expect(deps).toContain("local.h");
      expect(job.dependencyTarget).toBe(line.includes("-MT") ? "obj/hello.o" : undefined);
    });
  });
});
