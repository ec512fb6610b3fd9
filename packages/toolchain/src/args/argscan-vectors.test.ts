// Every command line of vectors/argscan/argscan.json (46 verdicts of the real distcc 3.4 client):
// same verdict, same logged reason, and for distributable ones the same argv on the wire once the
// compiler-name rewrite the vector shows is applied.
import { readFileSync } from "node:fs";
import { vectorPath } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { clangTargetArgs, qualifiedCompilerName } from "./compiler-name.js";
import { describeLocalReason } from "./reasons.js";
import { serverArgv } from "./commands.js";
import { scanArgs } from "./scan.js";

interface ArgscanCase {
  command: string;
  tried_remote: boolean;
  remote_argv: string | null;
  scan_messages: string[];
  rewrites: string[][];
}

const cases = JSON.parse(readFileSync(vectorPath("argscan", "argscan.json"), "utf8")) as ArgscanCase[];
const TRIPLE = "x86_64-pc-linux-gnu"; // what Debian's amd64 distcc was configured for

/** `distcc ARGS`: explicit compiler, or implicit `cc` when the first word is an option or a source. */
function clientArgv(command: string): string[] {
  const words = command.split(" ").slice(1);
  const first = words[0]!;
  return first.startsWith("-") || /\.(c|cc|cpp|o)$/.test(first) ? ["cc", ...words] : words;
}

/** The rewrites distcc logs: [from, to] for argv[0], [extra words] for clang's -target. */
function ourRewrites(argv: readonly string[]): string[][] {
  const rewrites: string[][] = [];
  const argv0 = argv[0]!;
  if (argv0 === "cc" || argv0 === "c++") rewrites.push([argv0, argv0 === "cc" ? "gcc" : "g++"]);
  const generic = argv0 === "cc" ? "gcc" : argv0 === "c++" ? "g++" : argv0;
  const qualified = qualifiedCompilerName(argv0, TRIPLE);
  if (qualified !== undefined) rewrites.push([generic, qualified]);
  const extra = clangTargetArgs(argv, TRIPLE);
  if (extra.length > 0) rewrites.push([extra.join(" ")]);
  return rewrites;
}

describe("argscan.json: the real client's verdicts", () => {
  it("has the 46 cases", () => {
    expect(cases).toHaveLength(46);
  });

  for (const c of cases) {
    it(c.command, () => {
      const argv = clientArgv(c.command);
      const scan = scanArgs(argv, {
        readFile: () => {
          throw new Error("no @file here");
        },
      });
      expect(scan.distributable).toBe(c.tried_remote);
      expect(ourRewrites(argv)).toEqual(c.rewrites);
      if (!scan.distributable) {
        expect(describeLocalReason(scan.reason)).toBe(c.scan_messages.at(-1));
        return;
      }
      const appendedMessage = `no visible output file, going to add "-o ${scan.output}" at end`;
      expect(c.scan_messages.includes(appendedMessage)).toBe(!scan.outputGiven);
      expect(c.scan_messages[0]).toBe(`found input file "${scan.input}"`);
      // The wire argv: name rewrite on argv[0], clang's -target after everything (as distcc does).
      const wire = serverArgv(scan, 2);
      wire[0] = qualifiedCompilerName(argv[0]!, TRIPLE) ?? argv[0]!;
      wire.push(...clangTargetArgs(argv, TRIPLE));
      expect(wire.join(" ")).toBe(c.remote_argv);
    });
  }
});
