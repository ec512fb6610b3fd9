import { z } from "zod";
import { TripleAliasError } from "./errors.js";

/** A target triple reduced to what decides the code a compiler emits. Rules: docs/triples.md. */
export interface NormalizedTriple {
  /** Architecture family: "arm", "armeb", "aarch64", "aarch64_be", "x86_64", "i386", "riscv64", ... */
  arch: string;
  /** ARM architecture level as spelled, endianness letters dropped ("armv6j", "armv7l" -> "armv7", "armv5tel" -> "armv5te"). */
  subArch?: string;
  /** Vendor field as written ("pc", "unknown", "rpi", "hardfloat", ...; "" when absent). Never compared. */
  vendor: string;
  /** Operating system: "linux", "none", "darwin", "freebsd13", ... */
  os: string;
  /** Environment / ABI: "gnu", "gnueabihf", "gnueabi", "musl", "eabi", ... ("" when absent and not implied). */
  env: string;
  /** ARM only: the float calling convention the triple implies. */
  floatAbi?: "soft" | "hard";
  /** `arch-os-env` (Debian multiarch style), the form two triples are compared by. */
  canonical: string;
}

/** Triple spellings a configuration declares equal to another: `{ "armv6-rpi-linux-gnueabi": "arm-linux-gnueabihf" }`. */
export type TripleAliases = Readonly<Record<string, string>>;

const tripleText = z
  .string()
  .min(3)
  .max(100)
  .regex(/^[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)+$/, "a target triple such as arm-linux-gnueabihf");

/** zod schema of a triple-alias table, for a server's configuration file. */
const tripleAliasesSchema = z.record(tripleText, tripleText);

/** Check a triple-alias table from a configuration file; errors name the key and the allowed form. */
export function parseTripleAliases(input: unknown): TripleAliases {
  const result = tripleAliasesSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join(".") : "(root)";
    throw new TripleAliasError(
      `triple aliases: at ${where}: ${issue?.message ?? "invalid"}; expected an object mapping a triple to the triple it means, e.g. {"armv6-rpi-linux-gnueabi": "arm-linux-gnueabihf"}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(result.data)) out[from.toLowerCase()] = to.toLowerCase();
  return out;
}

const OS_NAMES =
  /^(linux|none|darwin\d*(\.\d+)*|macos\w*|ios\w*|freebsd[\d.]*|netbsd[\d.]*|openbsd[\d.]*|dragonfly[\d.]*|solaris[\d.]*|windows|mingw32|mingw64|cygwin|msys|elf|eabi|eabihf|uclinux|gnu|hurd|haiku|wasi|emscripten|rtems[\d.]*|nto\w*|qnx\w*|aix[\d.]*|android)$/;

function normalizeArch(raw: string): { arch: string; subArch?: string; hardFloat?: boolean } {
  const a = raw.toLowerCase();
  if (a === "amd64" || a === "x86_64" || a === "x64") return { arch: "x86_64" };
  if (/^i[3-7]86$/.test(a) || a === "x86") return { arch: "i386" };
  if (a === "arm64" || a === "aarch64") return { arch: "aarch64" };
  if (a === "arm64_be" || a === "aarch64_be") return { arch: "aarch64_be" };
  const arm = /^(?:arm|thumb)(v\d+[a-z0-9]*)?$/.exec(a);
  if (arm && !a.startsWith("arm64")) {
    // Trailing letters after the level: "l"/"el" little-endian, "hl" hard-float little-endian
    // (Fedora), "eb"/"be" big-endian; what is left is the gcc -march spelling ("armv6j", "armv5te").
    let level = arm[1] ?? "";
    let big = false;
    let hardFloat = false;
    if (/(eb|be)$/.test(level)) {
      big = true;
      level = level.slice(0, -2);
    } else if (/hl$/.test(level)) {
      hardFloat = true;
      level = level.slice(0, -2);
    } else if (/l$/.test(level)) level = level.slice(0, -1);
    const arch = big ? "armeb" : "arm";
    const out: { arch: string; subArch?: string; hardFloat?: boolean } = { arch };
    if (level) out.subArch = `arm${level}`;
    if (hardFloat) out.hardFloat = true;
    return out;
  }
  if (/^(arm|thumb)(eb|be)$/.test(a)) return { arch: "armeb" };
  if (/^(arm|thumb)el$/.test(a)) return { arch: "arm" };
  if (a === "ppc" || a === "powerpc") return { arch: "powerpc" };
  if (a === "ppc64" || a === "powerpc64") return { arch: "powerpc64" };
  if (a === "ppc64le" || a === "powerpc64le") return { arch: "powerpc64le" };
  return { arch: a };
}

function isArmArch(arch: string): boolean {
  return arch === "arm" || arch === "armeb";
}

/** Reduce a triple to arch, os, env and float ABI (rules and table: docs/triples.md). */
export function normalizeTriple(triple: string): NormalizedTriple {
  const parts = triple
    .trim()
    .toLowerCase()
    .split("-")
    .filter((p) => p.length > 0);
  const { arch, subArch, hardFloat: hardByArch } = normalizeArch(parts[0] ?? "");
  const rest = parts.slice(1);
  // The OS is the first known OS word after the arch; what is between is the vendor.
  const osIndex = rest.findIndex((p) => OS_NAMES.test(p));
  let vendor: string;
  let os: string;
  let env: string;
  if (osIndex >= 0) {
    vendor = rest.slice(0, osIndex).join("-");
    os = rest[osIndex] ?? "";
    env = rest.slice(osIndex + 1).join("-");
  } else {
    // No OS we know: compare everything but the generic vendors, rather than guess which is which.
    let first = 0;
    while (first < rest.length - 1 && /^(pc|unknown)$/.test(rest[first] ?? "")) first++;
    vendor = rest.slice(0, first).join("-");
    os = rest.slice(first).join("-");
    env = "";
  }
  if (os === "eabi" || os === "eabihf") {
    env = os;
    os = "none";
  }
  if (os === "linux" && env === "") env = "gnu";

  let floatAbi: "soft" | "hard" | undefined;
  if (isArmArch(arch)) {
    if (os === "linux" && env === "gnu") env = "gnueabi"; // every current ARM Linux toolchain is EABI
    const hardByEnv = /hf$/.test(env);
    const hardByVendor = /hardfloat|hardfp|(^|-)rpi(-|$)/.test(vendor);
    const softByVendor = /softfloat|softfp/.test(vendor);
    floatAbi = hardByEnv || hardByArch === true || (hardByVendor && !softByVendor) ? "hard" : "soft";
    if (floatAbi === "hard" && /^(gnueabi|musleabi|eabi|uclibceabi)$/.test(env)) env = `${env}hf`;
  }
  const canonical = [arch, os, env].filter((p) => p.length > 0).join("-");
  const out: NormalizedTriple = { arch, vendor, os, env, canonical };
  if (subArch) out.subArch = subArch;
  if (floatAbi) out.floatAbi = floatAbi;
  return out;
}

/** Normalise `triple`, first replacing it by what the alias table says it means (aliases may chain). */
export function normalizeTripleWithAliases(triple: string, aliases?: TripleAliases): NormalizedTriple {
  let current = triple.trim().toLowerCase();
  if (aliases) {
    const seen = new Set<string>();
    while (aliases[current] !== undefined && !seen.has(current)) {
      seen.add(current);
      current = aliases[current] ?? current;
    }
  }
  const n = normalizeTriple(current);
  // A sub-architecture written in the original spelling still tells the wanted CPU level.
  if (!n.subArch && current !== triple.trim().toLowerCase()) {
    const original = normalizeTriple(triple);
    if (original.subArch && original.arch === n.arch) n.subArch = original.subArch;
  }
  return n;
}

/** True when two triples mean the same target (vendor and ARM sub-architecture are not compared). */
export function triplesMatch(a: string, b: string, aliases?: TripleAliases): boolean {
  return normalizeTripleWithAliases(a, aliases).canonical === normalizeTripleWithAliases(b, aliases).canonical;
}
