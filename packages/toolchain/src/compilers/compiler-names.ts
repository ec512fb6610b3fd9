import type { CompilerFamily, CompilerKind } from "./identity.js";

/** What a compiler's file name claims it is (a claim only: discovery still probes it). */
export interface CompilerName {
  name: string;
  /** Triple prefix, e.g. "arm-linux-gnueabihf" in "arm-linux-gnueabihf-gcc-12". */
  triple?: string;
  family: CompilerFamily;
  kind: CompilerKind;
  /** Version suffix, e.g. "12" in "gcc-12" (may be dotted: "4.9"). */
  version?: string;
  /** "cc"/"c++": the system's default compiler of that language, whatever its family. */
  generic: boolean;
}

// First word of a triple: only real architectures, so "c89-gcc" or "my-gcc" are not read as triples.
const ARCH_WORD =
  /^(x86_64|amd64|i[3-7]86|aarch64(_be)?|arm64(_be|e)?|arm[a-z0-9]*|thumb[a-z0-9]*|mips[a-z0-9]*|powerpc[a-z0-9]*|ppc[a-z0-9]*|riscv(32|64)|s390x?|sparc[a-z0-9]*|m68k|sh[0-9a-z]*|alpha|hppa[0-9.]*|ia64|loongarch(32|64)|xtensa|avr|msp430|or1k|microblaze(el)?|nios2|arc|csky|bpf|wasm(32|64))$/;

const DRIVER = /^(?:(.+)-)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+)(?:-(\d+(?:\.\d+)*))?$/;

/**
 * Read a compiler file name: gcc, g++, cc, c++, clang, clang++, each optionally `<triple>-` prefixed
 * and `-N` suffixed. Undefined for anything else (gcc-ar, c89-gcc, tcc, distcc, ...).
 */
export function parseCompilerName(name: string): CompilerName | undefined {
  if (name.length > 255) return undefined; // not a file name
  const m = DRIVER.exec(name);
  if (!m) return undefined;
  const [, triple, driver, version] = m;
  if (triple !== undefined) {
    const words = triple.split("-");
    if (words.length < 2 || !ARCH_WORD.test(words[0] ?? "")) return undefined;
  }
  // cc/c++ never carry a version suffix in any distribution; "cc-12" is not a compiler name.
  if ((driver === "cc" || driver === "c++") && version !== undefined) return undefined;
  const family: CompilerFamily = driver?.startsWith("clang") ? "clang" : "gcc";
  const kind: CompilerKind = driver?.endsWith("++") ? "c++" : "c";
  const out: CompilerName = { name, family, kind, generic: driver === "cc" || driver === "c++" };
  if (triple !== undefined) out.triple = triple;
  if (version !== undefined) out.version = version;
  return out;
}
