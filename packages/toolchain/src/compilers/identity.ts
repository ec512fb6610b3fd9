/** Code-generation defaults that decide the ABI and the instruction set of what a compiler emits. */
export interface CompilerAbi {
  /** gcc `-march=` default (e.g. "armv7-a+fp", "x86-64", "armv8-a"); clang: derived from the triple. */
  arch?: string;
  /** `-mcpu=` default (gcc), `-target-cpu` (clang). */
  cpu?: string;
  /** `-mtune=` default. */
  tune?: string;
  /** ARM float ABI. */
  floatAbi?: "soft" | "softfp" | "hard";
  /** ARM `-mfpu=` default ("auto", "vfp", "neon", ...). */
  fpu?: string;
  /** ARM instruction set of the default code. */
  mode?: "arm" | "thumb";
  endian: "little" | "big";
  pointerBits: 32 | 64;
}

/** What a compiler is, as found by probing it (never by trusting its name). */
export interface CompilerIdentity {
  /** Absolute, realpath'd location of the driver binary. */
  path: string;
  family: "gcc" | "clang";
  /** Driver language: gcc/clang ("c") or g++/clang++ ("c++"), told apart by the libraries it links. */
  kind: "c" | "c++";
  /** Full version, e.g. "12.2.0". */
  version: string;
  /** Default target triple exactly as the compiler prints it (`-dumpmachine`), e.g. "arm-linux-gnueabihf". */
  target: string;
  abi: CompilerAbi;
}

export type CompilerFamily = CompilerIdentity["family"];
export type CompilerKind = CompilerIdentity["kind"];

/** Major version number of a version string ("12.2.0" -> 12), NaN when there is none. */
export function versionMajor(version: string): number {
  const m = /^(\d+)/.exec(version);
  return m ? Number(m[1]) : Number.NaN;
}
