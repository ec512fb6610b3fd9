// Pure parsers of what gcc and clang print when probed. Kept apart from the spawning so they can be
// tested on captured text and reused by a client that already has the output.
import type { CompilerAbi, CompilerFamily, CompilerKind } from "./identity.js";

export interface DriverFacts {
  family: CompilerFamily;
  version: string;
  target: string;
  kind: CompilerKind;
  /** The `Configured with:` line of gcc, if any. */
  configuredWith?: string;
}

/**
 * Parse the stderr of `<cc> -### /dev/null -o /dev/null` (the `-v` banner plus the link command).
 * Returns undefined when it is not the banner of a gcc or clang driver.
 */
export function parseDriverBanner(text: string): DriverFacts | undefined {
  const target = /^Target:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (!target) return undefined;
  let family: CompilerFamily;
  let version: string | undefined;
  const clang = /^(?:.*\s)?clang version (\d+(?:\.\d+)*)/m.exec(text);
  const gcc = /^gcc version (\d+(?:\.\d+)*)/m.exec(text);
  if (clang) {
    family = "clang";
    version = clang[1];
  } else if (gcc) {
    family = "gcc";
    version = gcc[1];
  } else {
    return undefined;
  }
  if (!version) return undefined;
  // The driver's language shows in what it links: g++ and clang++ add the C++ runtime.
  const kind: CompilerKind = /(?:^|[\s"])-l(?:stdc\+\+|c\+\+)(?:["\s]|$)/m.test(text) ? "c++" : "c";
  const configuredWith = /^Configured with:\s*(.*)$/m.exec(text)?.[1]?.trim();
  return configuredWith === undefined
    ? { family, version, target, kind }
    : { family, version, target, kind, configuredWith };
}

/** `#define NAME VALUE` lines of `<cc> -E -dM -x c /dev/null`. */
export function parseMacroDump(text: string): Map<string, string> {
  const macros = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^#define (\w+)(?: (.*))?$/.exec(line);
    if (m?.[1]) macros.set(m[1], m[2] ?? "");
  }
  return macros;
}

/** Endianness, pointer size and (ARM) float ABI and mode, from predefined macros: the same for gcc and clang. */
export function abiFromMacros(
  macros: Map<string, string>,
): Pick<CompilerAbi, "endian" | "pointerBits" | "floatAbi" | "mode"> {
  const endian = macros.get("__BYTE_ORDER__") === "__ORDER_BIG_ENDIAN__" ? "big" : "little";
  const pointerBits = macros.get("__SIZEOF_POINTER__") === "4" ? 32 : 64;
  const abi: Pick<CompilerAbi, "endian" | "pointerBits" | "floatAbi" | "mode"> = { endian, pointerBits };
  if (macros.has("__arm__")) {
    abi.floatAbi = macros.has("__ARM_PCS_VFP") ? "hard" : macros.has("__SOFTFP__") ? "soft" : "softfp";
    abi.mode = macros.has("__thumb__") ? "thumb" : "arm";
  }
  return abi;
}

/** Options of `gcc -Q --help=target` that define the ABI, as `{ "-march=": "armv7-a+fp", "-mthumb": "[enabled]" }`. */
export function parseGccTargetHelp(text: string): Map<string, string> {
  const opts = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\s+(-[\w=.+-]+?=?)\s+(\S.*?)?\s*$/.exec(line);
    if (!m?.[1]) continue;
    opts.set(m[1], (m[2] ?? "").trim());
  }
  return opts;
}

/** The ABI fields gcc reports with `-Q --help=target` (empty values mean "no default"). */
export function abiFromGccTargetHelp(opts: Map<string, string>): Partial<CompilerAbi> {
  const value = (key: string): string | undefined => {
    const v = opts.get(key);
    return v && !v.startsWith("[") ? v : undefined;
  };
  const abi: Partial<CompilerAbi> = {};
  const arch = value("-march=");
  const cpu = value("-mcpu=");
  const tune = value("-mtune=");
  const fpu = value("-mfpu=");
  const floatAbi = value("-mfloat-abi=");
  if (arch) abi.arch = arch;
  if (cpu) abi.cpu = cpu;
  if (tune) abi.tune = tune;
  if (fpu) abi.fpu = fpu;
  if (floatAbi === "soft" || floatAbi === "softfp" || floatAbi === "hard") abi.floatAbi = floatAbi;
  if (opts.get("-mthumb") === "[enabled]") abi.mode = "thumb";
  else if (opts.get("-marm") === "[enabled]") abi.mode = "arm";
  return abi;
}

/** Arguments of the cc1 line of `clang -### -c -x c /dev/null` (the last line, quoted words). */
export function parseClangCc1Args(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.includes('"-cc1"'));
  const line = lines[lines.length - 1];
  if (!line) return [];
  const args: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) args.push((m[1] ?? "").replace(/\\(.)/g, "$1"));
  return args;
}

/** ABI fields from clang's cc1 arguments: `-target-cpu`, `-mfloat-abi`, the VFP/NEON target features. */
export function abiFromClangCc1(args: readonly string[], triple: string): Partial<CompilerAbi> {
  const abi: Partial<CompilerAbi> = {};
  const features: string[] = [];
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i];
    const v = args[i + 1] ?? "";
    if (a === "-target-cpu") abi.cpu = v;
    else if (a === "-tune-cpu") abi.tune = v;
    else if (a === "-mfloat-abi" && (v === "soft" || v === "softfp" || v === "hard")) abi.floatAbi = v;
    else if (a === "-target-feature") features.push(v);
  }
  const archPart = triple.split("-")[0] ?? "";
  if (/^(arm|thumb)/.test(archPart)) {
    abi.arch = archPart.replace(/^thumb/, "arm");
    const on = new Set(features.filter((f) => f.startsWith("+")).map((f) => f.slice(1)));
    const fpu = on.has("neon")
      ? "neon"
      : ["fp-armv8", "vfp4", "vfp4d16", "vfp3", "vfp3d16", "vfp2"].find((f) => on.has(f));
    if (fpu) abi.fpu = fpu;
  }
  return abi;
}
