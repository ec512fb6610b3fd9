// The policy's commands checked by the real driver: `gcc -###` prints what it would run (cc1, as),
// so for commands the policy accepted, built from the attack spellings of the fuzz, every file gcc
// would hand cc1 or as must be the job's (its folder, its TMPDIR) or gcc's own, and nothing loads a
// plugin.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { decideServerArgv, serverJobCommand } from "./server-policy.js";

const job = mkdtempSync(join(tmpdir(), "policy-gcc-"));
writeFileSync(join(job, "in.i"), "int x;\n");
afterAll(() => rmSync(job, { recursive: true, force: true }));

const value = fc.constantFrom("/tmp/evil.so", "./evil.so", "/etc/passwd", "/dev/shm/y");
const attack = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "--plugin=",
        "-fplugin=",
        "--compare-debug=-fplugin=",
        "--dump-tree-original=",
        "--opt-info-all=",
        "--profile-note=",
        "-fdump-rtl-final=",
        "--output=",
        "-o",
        "-B",
        "--include=",
        "-Wa,--MD=",
        "-Wa,-a=",
        "--for-assembler=--M=",
        "-specs=",
        "@",
      ),
      value,
    )
    .map(([o, v]) => [o + v]),
  fc
    .tuple(
      fc.constantFrom(
        "-o",
        "--output",
        "-Xassembler",
        "-include",
        "-imacros",
        "-aux-info",
        "-dumpdir",
        "-MF",
        "-wrapper",
        "--prefix",
        "-isystem",
        "-I",
      ),
      value,
    )
    .map(([o, v]) => [o, v]),
  value.map((v) => ["-MQ", `-o${v}`, "-o", v]),
  fc.constantFrom(
    ["-O2"],
    ["-g"],
    ["-Wall"],
    ["-fno-common"],
    ["-Wa,--noexecstack"],
    ["-S"],
    ["-pipe"],
    ["-Wl,-z,now"],
    ["-MD"],
    ["-DX=1"],
  ),
);

/** Absolute paths in the cc1 and as command lines of `gcc -### ARGS`. */
function pathsRun(args: string[]): { paths: string[]; commands: string } {
  const r = spawnSync("gcc", ["-###", ...args], { cwd: job, encoding: "utf8", env: { ...process.env, TMPDIR: job } });
  const commands = r.stderr
    .split("\n")
    .filter((l) => l.startsWith(" "))
    .join("\n");
  const paths = [...commands.matchAll(/(?:^|[\s"=,])(\/[^\s"]*)/g)].map((m) => m[1]!);
  return { paths, commands };
}

describe("gcc -### on the commands the policy accepts", () => {
  it("hands cc1 and as only the job's files and gcc's own, and never a plugin", () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(attack, { minLength: 1, maxLength: 3 }), (groups) => {
        const argv = ["gcc", "-c", "x.c", "-o", "x.o", ...groups.flat()];
        const d = decideServerArgv(argv, { protocol: 2 });
        if (!d.ok) return;
        const command = serverJobCommand(d, { input: join(job, "in.i"), output: join(job, "out.o") }).argv;
        const { paths, commands } = pathsRun(command.slice(1));
        checked++;
        expect(commands).not.toMatch(/-fplugin|-fdump-|-fopt-info|-fprofile-|--MD|-aux-info/);
        for (const p of paths)
          expect(
            p.startsWith(job) || p.startsWith("/usr/lib/gcc/") || p.startsWith("/usr/libexec/gcc/"),
            `${p} in\n${commands}`,
          ).toBe(true);
      }),
      { numRuns: 120 },
    );
    expect(checked).toBeGreaterThan(10);
  });
});
