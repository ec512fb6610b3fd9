// A fuzz of option spellings (issue 14): words of the refused families, in every alias form gcc and
// clang accept, put anywhere in an otherwise ordinary compile. Each must be refused, or rewritten so
// that what the server runs no longer holds it; never passed through.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readDriverWords } from "./driver-words.js";
import { assemblerPartRefusal } from "./assembler-options.js";
import { decideServerArgv, serverJobCommand, type AcceptedServerArgv, type PolicyJobCommand } from "./server-policy.js";

const VALUES = ["/tmp/evil.so", "./input.i", "../../../tmp/x", "/etc/passwd", "x.so", "/dev/shm/y"];
const value = fc.constantFrom(...VALUES);

/** [words] generators per family, every spelling: joined, separate, `=`, `--long`, gcc's `--X` for `-fX`, abbreviations. */
const FAMILIES: Record<string, fc.Arbitrary<string[]>> = {
  plugin: fc
    .tuple(fc.constantFrom("-fplugin=", "--plugin=", "-fplugin-arg-x-y=", "--plugin-arg-x-y=", "-fpass-plugin="), value)
    .map(([o, v]) => [o + v]),
  pluginSeparate: fc
    .tuple(fc.constantFrom("-fplugin", "--plugin", "--plugin-arg-x-y", "-iplugindir=", "--plu"), value)
    .map(([o, v]) => [o, v]),
  output: fc.tuple(fc.constantFrom("--output=", "-o"), value).map(([o, v]) => [o + v]),
  outputSeparate: fc.tuple(fc.constantFrom("-o", "--output", "--outp"), value).map(([o, v]) => [o, v]),
  outputHidden: value.map((v) => ["-MQ", `-o${v}`, "-o", v]),
  assembler: fc
    .tuple(
      fc.constantFrom(
        "-Wa,",
        "-Wa,--noexecstack,",
        "-Xassembler ",
        "--for-assembler=",
        "--for-assembler ",
        "--for-as ",
        "-Xassembler=",
        "--for-assembler",
      ),
      fc.constantFrom(
        "--MD=",
        "--M=",
        "--MD ",
        "-MD ",
        "-a=",
        "-aln=",
        "-adhln=",
        "-o ",
        "-o",
        "-I",
        "--itbl ",
        "--defsym ",
        "@",
        "",
        "--listing-lhs-width=1,",
      ),
      value,
    )
    .map(([o, part, v]) => {
      const payload = part.endsWith(" ") ? [part.trim(), v] : [part + v];
      if (o.endsWith(",")) return [o + payload.join(",")];
      if (o.endsWith(" ")) return payload.flatMap((p) => [o.trim(), p]);
      return [o + payload[0]!, ...payload.slice(1)];
    }),
  dump: fc
    .tuple(
      fc.constantFrom("-fdump-", "--dump-"),
      fc.constantFrom(
        "tree-original",
        "rtl-final",
        "final-insns",
        "go-spec",
        "ipa-all",
        "tree-all-graph",
        "ada-spec",
        "translation-unit",
      ),
      fc.constantFrom("", "="),
      value,
    )
    .map(([o, what, eq, v]) => [eq ? `${o}${what}=${v}` : `${o}${what}`]),
  optInfo: fc
    .tuple(
      fc.constantFrom("-fopt-info", "--opt-info", "-fopt-info-all", "--opt-info-all", "-fopt-info-vec-missed"),
      fc.constantFrom("", "="),
      value,
    )
    .map(([o, eq, v]) => [eq ? `${o}=${v}` : o]),
  profile: fc
    .tuple(
      fc.constantFrom(
        "-fprofile-note=",
        "--profile-note=",
        "-fprofile-dir=",
        "-fprofile-generate=",
        "-fprofile-use=",
        "-fauto-profile=",
        "--profile-use=",
        "-fprofile-instr-use=",
        "-fprofile-list=",
      ),
      value,
    )
    .map(([o, v]) => [o + v]),
  coverage: fc.constantFrom(
    ["--coverage"],
    ["-ftest-coverage"],
    ["--test-coverage"],
    ["-fprofile-arcs"],
    ["--profile-arcs"],
    ["-fprofile-update=atomic"],
  ),
  specs: fc
    .tuple(fc.constantFrom("-specs=", "--specs=", "-specs ", "--specs ", "--spec "), value)
    .map(([o, v]) => (o.endsWith(" ") ? [o.trim(), v] : [o + v])),
  prefix: fc
    .tuple(fc.constantFrom("-B", "-B ", "--prefix=", "--prefix ", "--pref ", "--prefi "), value)
    .map(([o, v]) => (o.endsWith(" ") ? [o.trim(), v] : [o + v])),
  wrapper: value.map((v) => ["-wrapper", `${v},-x`]),
  compareDebug: fc
    .tuple(fc.constantFrom("-fcompare-debug=", "--compare-debug="), value)
    .map(([o, v]) => [`${o}-fplugin=${v}`]),
  compareDebugSecond: fc.constantFrom(["-fcompare-debug-second"], ["--compare-debug-second"], ["-fcompare-debug"]),
  include: fc
    .tuple(
      fc.constantFrom(
        "-include ",
        "-include",
        "--include=",
        "--include ",
        "-imacros ",
        "-imacros",
        "--imacros=",
        "--imacros ",
        "-include-pch ",
        "--incl ",
      ),
      value,
    )
    .map(([o, v]) => (o.endsWith(" ") ? [o.trim(), v] : [o + v])),
  includeRaw: value.map((v) => ["-Xpreprocessor", "-include", "-Xpreprocessor", v]),
  includeWp: fc
    .tuple(fc.constantFrom("-Wp,-include,", "-Wp,-imacros,", "-Wp,-MD,", "-Wp,-MF,", "-Wp,-MMD,"), value)
    .map(([o, v]) => [o + v]),
  saveTemps: fc.constantFrom(
    ["-save-temps"],
    ["-save-temps=obj"],
    ["--save-temps"],
    ["--save-te"],
    ["-save-temps=cwd"],
  ),
  dumpdir: fc
    .tuple(
      fc.constantFrom("-dumpdir", "--dumpdir", "-dumpbase", "--dumpbase", "-aux-info", "-dumpbase-ext", "-auxbase"),
      value,
    )
    .map(([o, v]) => [o, v]),
  responseFile: value.map((v) => [`@${v}`]),
  xclang: fc
    .tuple(
      fc.constantFrom(
        "-load",
        "-plugin",
        "-add-plugin",
        "-dependency-file",
        "-o",
        "-main-file-name",
        "-header-include-file",
      ),
      value,
    )
    .map(([o, v]) => ["-Xclang", o, "-Xclang", v]),
  mllvm: value.map((v) => ["-mllvm", `-load=${v}`]),
  clangFiles: fc
    .tuple(
      fc.constantFrom(
        "-fsanitize-blacklist=",
        "-fsanitize-ignorelist=",
        "-fmodule-file=",
        "-fcrash-diagnostics-dir=",
        "-ftime-trace=",
        "-fmodules-cache-path=",
        "-fmodule-mapper=",
        "-fuse-ld=",
        "--config=",
        "--gcc-toolchain=",
        "-fdiagnostics-format=sarif-file",
        "-fdeps-file=",
      ),
      value,
    )
    .map(([o, v]) => [o.endsWith("=") ? o + v : o]),
  dependencies: fc
    .tuple(fc.constantFrom("-MF", "-MF ", "--write-dependencies", "-MD", "-MMD", "--user-dependencies"), value)
    .map(([o, v]) => (o.endsWith(" ") ? [o.trim(), v] : o.startsWith("-MF") ? [o + v] : [o])),
  extraOperand: value.map((v) => [v]),
};

// Where the words go in an otherwise ordinary compile.
const BASE = ["gcc", "-O2", "-g", "-Wall", "-c", "hello.c", "-o", "hello.o"];

/** What the server would run for an accepted argv, and that command without the server's own -MF pair (protocol 3). */
function jobRun(accepted: AcceptedServerArgv, protocol: 1 | 2 | 3): { job: PolicyJobCommand; run: string[] } {
  const job = serverJobCommand(
    accepted,
    protocol === 3
      ? { input: "", output: "/job/out.o", root: "/job/root", depsFile: "/job/out.deps" }
      : { input: "/job/in.i", output: "/job/out.o" },
  );
  return { job, run: protocol === 3 ? job.argv.slice(0, -2) : job.argv };
}

/** The canonical options in a command the server would run that must never be there. */
function forbiddenLeft(argv: readonly string[], protocol: number, serverOutput: string): string | undefined {
  const words = readDriverWords(argv);
  let outputs = 0;
  for (const w of words) {
    const o = w.option;
    if (o === "-o") {
      outputs++;
      if (w.value !== serverOutput) return `output ${w.value}`;
    }
    if (o === "") continue;
    if (w.long !== undefined && !["--sysroot", "--param", "-target"].includes(w.option))
      return `long spelling ${w.spelled}`;
    if (
      /^-f(no-)?(plugin|pass-plugin|dump|opt-info|profile|auto-profile|compare-debug|test-coverage|module|deps|crash|time-trace=|sanitize-(black|ignore)list|use-ld)/.test(
        o,
      )
    )
      return o;
    if (
      [
        "-B",
        "-specs",
        "-wrapper",
        "-dumpdir",
        "-dumpbase",
        "-dumpbase-ext",
        "-aux-info",
        "-auxbase",
        "@",
        "-include-pch",
        "-iplugindir=",
        "--config",
        "--gcc-toolchain",
        "--coverage",
        "-MF",
      ].includes(o)
    )
      return o;
    if (o.startsWith("-save-temps") || o.startsWith("-iplugindir")) return o;
    if ((o === "-include" || o === "-imacros" || o === "-MD" || o === "-MMD") && protocol !== 3) return o;
    if (o === "-Wa,") for (const part of w.value!.split(",")) if (assemblerPartRefusal(part)) return `${o}${w.value}`;
    if (o === "-Xassembler" && assemblerPartRefusal(w.value!)) return `${o} ${w.value}`;
    if (o === "-Wp," && protocol !== 3) return o;
    if (o === "-Xpreprocessor" || (o === "-Xclang" && !/^-[fWO]/.test(w.value!))) return `${o} ${w.value}`;
    if (o === "-mllvm" && /load/.test(w.value!)) return `${o} ${w.value}`;
  }
  if (outputs !== 1) return `${outputs} outputs`;
  return undefined;
}

describe("fuzz: refused families in every spelling are refused or rewritten, never passed through", () => {
  for (const [family, arb] of Object.entries(FAMILIES)) {
    it(family, () => {
      fc.assert(
        fc.property(
          arb,
          fc.nat(BASE.length - 1),
          fc.constantFrom(1 as const, 2 as const, 3 as const),
          (inserted, at, protocol) => {
            const argv = [...BASE.slice(0, at + 1), ...inserted, ...BASE.slice(at + 1)];
            const d = decideServerArgv(argv, { protocol, cwd: "/src" });
            if (!d.ok) {
              expect(d.refusal.why.length).toBeGreaterThan(10);
              return;
            }
            const { job, run } = jobRun(d, protocol);
            expect(
              forbiddenLeft(run, protocol, "/job/out.o"),
              `${argv.join(" ")}\n-> ${job.argv.join(" ")}`,
            ).toBeUndefined();
            // Paths the compiler reads are the job's: under the root (protocol 3) or the server's input.
            for (const w of readDriverWords(run)) {
              const read =
                w.option === "" ||
                ["-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros"].includes(w.option);
              if (read && w.value!.startsWith("/"))
                expect(w.value!.startsWith("/job/"), `${w.spelled} in ${run.join(" ")}`).toBe(true);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe("the fuzz's own check", () => {
  it.each([
    ["gcc", "--plugin=./x.so", "-c", "x.c", "-o", "/job/out.o"],
    ["gcc", "-fplugin=./x.so", "-c", "x.c", "-o", "/job/out.o"],
    ["gcc", "-Wa,--M=/tmp/x", "-c", "x.c", "-o", "/job/out.o"],
    ["gcc", "-c", "x.c", "-o", "/job/out.o", "-o", "/tmp/x"],
    ["gcc", "-c", "x.c", "-o", "/tmp/x"],
    ["gcc", "-include", "/etc/passwd", "-c", "x.c", "-o", "/job/out.o"],
  ])("sees what must not pass: %j", (...argv) => {
    expect(forbiddenLeft(argv, 2, "/job/out.o")).toBeDefined();
  });
});

describe("fuzz: arbitrary option-like words", () => {
  // Pieces of option names, glued at random: whatever the policy accepts must be clean.
  const piece = fc.constantFrom(
    "-",
    "--",
    "f",
    "no-",
    "plugin",
    "dump",
    "o",
    "output",
    "W",
    "a",
    ",",
    "p",
    "l",
    "X",
    "assembler",
    "for-",
    "=",
    "/tmp/x",
    "M",
    "D",
    "F",
    "Q",
    "include",
    "imacros",
    "i",
    "B",
    "prefix",
    "specs",
    "wrapper",
    "save-temps",
    "profile",
    "note",
    "compare-debug",
    "opt-info",
    "g",
    "m",
    "O2",
    "x",
    "c",
    "@",
    "param",
    "sysroot",
    "target",
    "clang",
    "llvm",
    "load",
  );
  const word = fc.array(piece, { minLength: 1, maxLength: 5 }).map((parts) => parts.join(""));

  it("whatever is accepted runs with the server's single -o and none of the refused families", () => {
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 4 }),
        fc.nat(BASE.length - 1),
        fc.constantFrom(1 as const, 2 as const, 3 as const),
        (inserted, at, protocol) => {
          const argv = [...BASE.slice(0, at + 1), ...inserted, ...BASE.slice(at + 1)];
          const d = decideServerArgv(argv, { protocol, cwd: "/src" });
          if (!d.ok) return;
          const { job, run } = jobRun(d, protocol);
          expect(
            forbiddenLeft(run, protocol, "/job/out.o"),
            `${argv.join(" ")}\n-> ${job.argv.join(" ")}`,
          ).toBeUndefined();
        },
      ),
      { numRuns: 3000 },
    );
  });
});
