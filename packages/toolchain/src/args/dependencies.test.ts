// The dependency plan against the real gcc: running our local preprocessor command must leave
// exactly the .d files (same paths, same contents) that a plain local `gcc -c` leaves.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { preprocessorArgv } from "./commands.js";
import { planDependencies, quoteMakeTarget, replaceSuffix } from "./dependencies.js";
import { scanArgs } from "./scan.js";
import { stripOutputArgs, setActionOption } from "./strip.js";

const root = makeTempDir("args-deps-");
afterAll(() => root.remove());

let counter = 0;
function freshProject(): string {
  const dir = join(root.path, `p${counter++}`);
  mkdirSync(join(dir, "obj"), { recursive: true });
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "hello.h"), "#define H 1\n");
  writeFileSync(join(dir, "hello.c"), '#include "hello.h"\nint x = H;\n');
  writeFileSync(join(dir, "sub", "deep.c"), '#include "../hello.h"\nint y = H;\n');
  return dir;
}

function depFiles(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".d")) found[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return found;
}

function run(argv: string[], cwd: string, env: Record<string, string>): void {
  execFileSync(argv[0]!, argv.slice(1), {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

const cases: Array<[string, Record<string, string>?]> = [
  ["gcc -MD -c hello.c -o obj/hello.o"],
  ["gcc -MMD -c hello.c -o obj/hello.o"],
  ["gcc -MD -c hello.c -oobj/joined.o"],
  ["gcc -MD -MF obj/v.d -c hello.c -o obj/x.o"],
  ["gcc -MD -MT tgt -c hello.c -o obj/x.o"],
  ["gcc -MD -MQ a$b -c hello.c -o obj/x.o"],
  ["gcc -MD -c hello.c -o obj/a$b#c.o"],
  ["gcc -MMD -MP -c hello.c -o obj/x.y.o"],
  ["gcc -MD -c hello.c -o obj/noext"],
  ["gcc -MD -c hello.c"],
  ["gcc -MD -S hello.c"],
  ["gcc -MD -S hello.c -o obj/y.s"],
  ["gcc -MD -c sub/deep.c -o obj/deep.o"],
  ["gcc -MD -c sub/deep.c"],
  ["gcc -Wp,-MD,obj/w.d -c hello.c -o obj/x.o"],
  ["gcc -Wp,-MMD,obj/w2.d -MT t2 -c hello.c -o obj/x.o"],
  ["gcc -c hello.c -o obj/x.o", { DEPENDENCIES_OUTPUT: "obj/env.d" }],
  ["gcc -c hello.c -o obj/x.o", { DEPENDENCIES_OUTPUT: "obj/env2.d tt" }],
];

describe("dependency plan: the .d file lands where a local gcc puts it", () => {
  for (const [line, env = {}] of cases) {
    it(`${line}${Object.keys(env).length ? ` (${JSON.stringify(env)})` : ""}`, () => {
      const argv = line.split(" ");
      const localDir = freshProject();
      run(argv, localDir, env);
      const expected = depFiles(localDir);

      const scan = scanArgs(argv, { cwd: localDir, env });
      expect(scan.distributable).toBe(true);
      if (!scan.distributable) return;
      const cppDir = freshProject();
      run(preprocessorArgv(scan), cppDir, env);
      expect(depFiles(cppDir)).toEqual(expected);

      // The plan names that very file and its target.
      const plan = scan.dependencies;
      expect(plan.wanted).toBe(true);
      expect(Object.keys(expected)).toEqual([plan.depFile]);
      const firstLine = expected[plan.depFile!]!.split("\n")[0]!;
      expect(firstLine.startsWith(`${plan.target}:`)).toBe(true);
    });
  }

  it("distcc's own cpp command gets it wrong for -o elsewhere (the bug we fix)", () => {
    const argv = "gcc -MD -c hello.c -o obj/hello.o".split(" ");
    const dir = freshProject();
    run(setActionOption(stripOutputArgs(argv), "-E"), dir, {});
    expect(Object.keys(depFiles(dir))).toEqual(["hello.d"]);
  });

  it("no .d wanted without -MD/-MMD/-Wp,-MD/DEPENDENCIES_OUTPUT", () => {
    for (const line of [
      "gcc -c hello.c",
      "gcc -MF x.d -c hello.c",
      "gcc -MT t -c hello.c -o x.o",
      "gcc -MP -MG -c x.c",
    ]) {
      const scan = scanArgs(line.split(" "), { env: {} });
      expect(scan.distributable && scan.dependencies).toEqual({ wanted: false, cppArgs: [] });
    }
  });

  it("SUNPRO_DEPENDENCIES counts like DEPENDENCIES_OUTPUT", () => {
    const plan = planDependencies(["gcc", "-c", "x.c"], {
      input: "x.c",
      output: "x.o",
      outputGiven: false,
      env: { SUNPRO_DEPENDENCIES: "s.d" },
    });
    expect(plan).toMatchObject({ wanted: true, depFile: "s.d", target: "x.o", source: "environment" });
  });
});

describe("make quoting and suffixes", () => {
  it.each([
    ["plain.o", "plain.o"],
    ["a$b", "a$$b"],
    ["a#b", "a\\#b"],
    ["a b", "a\\ b"],
    ["a\\ b", "a\\\\\\ b"],
    ["tab\there", "tab\\\there"],
  ])("quoteMakeTarget(%j) = %j", (input, quoted) => expect(quoteMakeTarget(input)).toBe(quoted));

  it.each([
    ["obj/x.o", "obj/x.d"],
    ["obj/x.y.o", "obj/x.y.d"],
    ["obj.dir/x", "obj.dir/x.d"],
    ["noext", "noext.d"],
    [".hidden", ".d"],
  ])("replaceSuffix(%j) = %j", (input, out) => expect(replaceSuffix(input, ".d")).toBe(out));
});
