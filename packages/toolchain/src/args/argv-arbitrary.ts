// fast-check generators of compiler command lines built from the grammar's pieces, shared by the
// property tests of the scan (scan.property.test.ts) and of the server policy (server-policy.test.ts).
import fc from "fast-check";
import type { ScanOptions } from "./scan.js";

/** Scan options for a command line that names no readable file and no environment. */
export const noFiles: ScanOptions = {
  readFile: (): string => {
    throw new Error("none");
  },
  env: {},
};

/** Ordinary pieces: actions, preprocessor and dependency options, -x, outputs, inputs, link options. */
const ORDINARY_PIECES: readonly string[][] = [
  ["-c"],
  ["-S"],
  ["-O2"],
  ["-g"],
  ["-DX=1"],
  ["-D", "Y"],
  ["-I."],
  ["-I", "inc"],
  ["-include", "h.h"],
  ["-MD"],
  ["-MMD"],
  ["-MF", "d.d"],
  ["-MT", "t"],
  ["-MQ", "q"],
  ["-MP"],
  ["-Wp,-MD,w.d"],
  ["-x", "c"],
  ["-x", "c++"],
  ["-xc"],
  ["-o", "out.o"],
  ["-oj.o"],
  ["hello.c"],
  ["x.cpp"],
  ["x.i"],
  ["-fPIC"],
  ["-isystem", "/usr/include"],
  ["-L", "lib"],
  ["-lm"],
  ["-Wl,-z,now"],
  ["-undef"],
  ["-nostdinc"],
  ["-stdlib=libc++"],
  ["-std=c11"],
];

/**
 * `gcc` followed by up to 9 pieces (multi-word pieces stay together), drawn from the ordinary ones
 * and `extra` (each test adds the words its property is about).
 */
export function commandLineOf(extra: readonly string[][] = []): fc.Arbitrary<string[]> {
  return fc
    .array(fc.constantFrom(...ORDINARY_PIECES, ...extra), { maxLength: 9 })
    .map((groups) => ["gcc", ...groups.flat()]);
}
