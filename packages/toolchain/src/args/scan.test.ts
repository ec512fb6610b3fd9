// Our own table of every scan rule (distcc 3.4 `dcc_scan_args`, spec 9.3), quirks included.
import { describe, expect, it } from "vitest";
import type { LocalReason } from "./reasons.js";
import { describeLocalReason } from "./reasons.js";
import { scanArgs, scanExpandedArgs, type DistributableScan } from "./scan.js";

const noFiles = {
  readFile: (): string => {
    throw new Error("no @file in this test");
  },
};
const scan = (line: string | string[]) => scanArgs(typeof line === "string" ? line.split(" ") : line, noFiles);

const localCases: Array<[string, LocalReason]> = [
  ["gcc -E hello.c", { code: "preprocess-only" }],
  ["gcc -c hello.c -E", { code: "preprocess-only" }],
  ["gcc -M hello.c", { code: "dependencies-only", option: "-M" }],
  ["gcc -MM -c hello.c", { code: "dependencies-only", option: "-MM" }],
  ["gcc -Mfoo -c hello.c", { code: "dependencies-only", option: "-Mfoo" }],
  ["gcc hello.c -o hello", { code: "no-compile-flag" }],
  ["gcc hello.c", { code: "no-compile-flag" }],
  ["gcc -c -", { code: "no-input" }],
  ["gcc -c -x c -", { code: "no-input" }],
  ["gcc -c foo.s", { code: "no-input" }],
  ["gcc -c foo.S", { code: "no-input" }],
  ["gcc -c foo.CC", { code: "no-input" }],
  ["gcc -c foo.CPP", { code: "no-input" }],
  ["gcc -c noext", { code: "no-input" }],
  ["gcc -c hello.c warning.c", { code: "multiple-inputs", inputs: ["hello.c", "warning.c"] }],
  // The argument of -include is not skipped: a .c there counts as an input.
  ["gcc -include extra.c -c hello.c", { code: "multiple-inputs", inputs: ["extra.c", "hello.c"] }],
  ["gcc -c hello.c -o a.o -o b.o", { code: "multiple-outputs", outputs: ["a.o", "b.o"] }],
  ["gcc hello.o -o hello", { code: "multiple-outputs", outputs: ["hello.o", "hello"] }],
  ["gcc -c hello.c x.o y.o", { code: "multiple-outputs", outputs: ["x.o", "y.o"] }],
  ["gcc -c hello.c -o -", { code: "output-to-stdout" }],
  ["gcc -c hello.c -o-", { code: "output-to-stdout" }],
  ["gcc -c conftest.c", { code: "conftest", input: "conftest.c" }],
  ["gcc -c sub/conftest.cpp", { code: "conftest", input: "sub/conftest.cpp" }],
  ["gcc -c tmp.conftest.c", { code: "conftest", input: "tmp.conftest.c" }],
  ["gcc -march=native -c hello.c", { code: "native-cpu", option: "-march=native" }],
  ["gcc -mtune=native -c hello.c", { code: "native-cpu", option: "-mtune=native" }],
  ["gcc -mcpu=native -c hello.c", { code: "native-cpu", option: "-mcpu=native" }],
  ["gcc -march=native -E hello.c", { code: "native-cpu", option: "-march=native" }],
  ["gcc -flto -c hello.c", { code: "lto" }],
  ["gcc -Wa,-adhln=hello.lst -c hello.c", { code: "assembler-listing", option: "-Wa,-adhln=hello.lst" }],
  ["gcc -Wa,--MD,x.d -c hello.c", { code: "assembler-listing", option: "-Wa,--MD,x.d" }],
  ["gcc -Wa,-a -c hello.c", { code: "assembler-listing", option: "-Wa,-a" }],
  ["gcc -specs=foo.specs -c hello.c", { code: "specs", option: "-specs=foo.specs" }],
  ["gcc -fprofile-arcs -c hello.c", { code: "profiling", option: "-fprofile-arcs" }],
  ["gcc -ftest-coverage -c hello.c", { code: "profiling", option: "-ftest-coverage" }],
  ["gcc --coverage -c hello.c", { code: "profiling", option: "--coverage" }],
  ["gcc -fprofile-generate -c hello.c", { code: "profiling", option: "-fprofile-generate" }],
  ["gcc -fprofile-generate=dir -c hello.c", { code: "profiling", option: "-fprofile-generate=dir" }],
  ["gcc -fprofile-use=x.gcda -c hello.c", { code: "profiling", option: "-fprofile-use=x.gcda" }],
  ["gcc -fauto-profile=p -c hello.c", { code: "profiling", option: "-fauto-profile=p" }],
  ["gcc -fprofile-correction -c hello.c", { code: "profiling", option: "-fprofile-correction" }],
  ["gcc -frepo -c hello.c", { code: "frepo" }],
  ["gcc -x assembler -c foo.s", { code: "unsupported-language", language: "assembler" }],
  ["gcc -x none -c hello.c", { code: "unsupported-language", language: "none" }],
  ["gcc -x assembler-with-cpp -c foo.S", { code: "unsupported-language", language: "assembler-with-cpp" }],
  // distcc tests the word AFTER any -x… option, even the joined form: "hello.c" is not a language.
  ["gcc -xc++ hello.c -c", { code: "unsupported-language", language: "hello.c" }],
  ["gcc -drtl -c hello.c", { code: "rtl-dump", option: "-drtl" }],
  ["gcc -dr -c hello.c", { code: "rtl-dump", option: "-dr" }],
  ["gcc -c .c", { code: "bad-input-name", input: ".c" }],
  ["gcc -c hello.c -o", { code: "missing-argument", option: "-o" }],
  ["gcc -c hello.c -MF", { code: "missing-argument", option: "-MF" }],
  ["-c hello.c", { code: "no-compiler", argv0: "-c" }],
];

describe("scanArgs: local verdicts", () => {
  for (const [line, reason] of localCases) {
    it(`${line} -> ${reason.code}`, () => {
      const result = scan(line);
      expect(result.distributable).toBe(false);
      if (!result.distributable) {
        expect(result.reason).toEqual(reason);
        expect(describeLocalReason(result.reason)).not.toBe("");
        expect(result.argv).toEqual(line.split(" "));
      }
    });
  }

  it("a response file that names itself -> response-file-loop (the compiler reports it)", () => {
    const result = scanArgs(["gcc", "-c", "@self.rsp"], { readFile: () => "-O2 @self.rsp" });
    expect(result).toMatchObject({
      distributable: false,
      argv: ["gcc", "-c", "@self.rsp"],
      reason: { code: "response-file-loop", file: "self.rsp" },
    });
  });

  it("empty argv -> no-compiler", () => {
    expect(scan([])).toEqual({ distributable: false, argv: [], reason: { code: "no-compiler" } });
  });
});

type Expect = Partial<DistributableScan>;
const distributableCases: Array<[string, Expect]> = [
  [
    "gcc -c hello.c",
    {
      input: "hello.c",
      inputIndex: 2,
      output: "hello.o",
      outputIndex: 4,
      outputGiven: false,
      mode: "compile",
      language: "c",
      preprocessed: false,
      argv: ["gcc", "-c", "hello.c", "-o", "hello.o"],
    },
  ],
  ["gcc -c src/dir/x.cpp", { output: "x.o", language: "c++" }],
  ["gcc -S src/x.c", { output: "x.s", mode: "assemble" }],
  ["gcc -c -S x.c", { output: "x.s", mode: "assemble" }],
  ["gcc -c hello.c -o out/hello.o", { output: "out/hello.o", outputIndex: 4, outputGiven: true }],
  ["gcc -c hello.c -oout.o", { output: "out.o", outputIndex: 3, outputGiven: true }],
  ["gcc -c hello.c hello.o", { output: "hello.o", outputIndex: 3, outputGiven: true }],
  ["gcc -c hello.c -o hello.obj", { output: "hello.obj" }],
  ["gcc -c a.c", { output: "a.o" }],
  ["gcc -c x.i", { language: "c-cpp-output", preprocessed: true }],
  ["gcc -c x.ii", { language: "c++-cpp-output", preprocessed: true }],
  ["gcc -c x.mi", { language: "objective-c-cpp-output", preprocessed: true }],
  ["gcc -c x.mii", { language: "objective-c++-cpp-output", preprocessed: true }],
  ["gcc -c x.m", { language: "objective-c" }],
  ["gcc -c x.mm", { language: "objective-c++" }],
  ["gcc -c x.M", { language: "objective-c++" }],
  ["gcc -c x.C", { language: "c++" }],
  ["gcc -c x.cc", { language: "c++" }],
  ["gcc -c x.cxx", { language: "c++" }],
  ["gcc -c x.cp", { language: "c++" }],
  ["gcc -c x.c++", { language: "c++" }],
  ["gcc -x c++ -c hello.c", { language: "c++" }],
  ["gcc -x c-header -c hello.c", { language: "c-header" }],
  ["gcc -x go -c hello.c", { language: "go" }],
  ["gcc -x objective-c -c hello.c", { language: "objective-c" }],
  ["gcc -c hello.c -x", { language: "c" }],
  ["gcc -MD -MMD -MG -MP -c hello.c", { input: "hello.c" }],
  ["gcc -MF dep.d -MT x.c -MQ y.c -c hello.c", { input: "hello.c" }],
  ["gcc -MFdep.d -MTt -MQq -c hello.c", { input: "hello.c" }],
  ["gcc -flto=auto -fno-lto -c hello.c", { input: "hello.c" }],
  ["gcc -Wa,--noexecstack -c hello.c", { input: "hello.c" }],
  ["gcc --specs=x -c hello.c", { input: "hello.c" }],
  ["gcc -dD -c hello.c", { input: "hello.c" }],
  ["gcc -fplugin=x.so -c hello.c", { input: "hello.c" }],
  ["gcc -c myconftest.c", { input: "myconftest.c" }],
  ["clang --target=arm-linux-gnueabihf -c hello.c", { target: "arm-linux-gnueabihf" }],
  ["clang -target aarch64-linux-gnu -c hello.c", { target: "aarch64-linux-gnu" }],
  ["gcc -Wp,-MD,dep.d -c hello.c", { argv: ["gcc", "-MD", "-MF", "dep.d", "-c", "hello.c", "-o", "hello.o"] }],
];

describe("scanArgs: distributable", () => {
  for (const [line, expected] of distributableCases) {
    it(line, () => {
      const result = scan(line);
      expect(result.distributable).toBe(true);
      expect(result).toMatchObject(expected);
      if (result.distributable) {
        expect(result.argv[result.inputIndex]).toBe(result.input);
        expect(result.argv[result.outputIndex]!.endsWith(result.output)).toBe(true);
        expect(result.compiler).toBe(line.split(" ")[0]);
      }
    });
  }

  it("does not read the environment unless given one", () => {
    process.env.DEPENDENCIES_OUTPUT = "x.d";
    try {
      const result = scan("gcc -c hello.c");
      expect(result.distributable && result.dependencies.wanted).toBe(false);
    } finally {
      delete process.env.DEPENDENCIES_OUTPUT;
    }
  });

  it("scanExpandedArgs leaves @file and -Wp, alone", () => {
    const result = scanExpandedArgs(["gcc", "@args", "-Wp,-DX", "-c", "hello.c"]);
    expect(result.distributable && result.argv).toEqual(["gcc", "@args", "-Wp,-DX", "-c", "hello.c", "-o", "hello.o"]);
  });
});
