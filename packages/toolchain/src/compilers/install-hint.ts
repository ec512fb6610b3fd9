import type { CompilerFamily, CompilerKind } from "./identity.js";
import { normalizeTriple } from "./triples.js";

// Debian/Ubuntu ship cross compilers as gcc-<triple> / g++-<triple>, with '_' in the triple written '-'.
const DEBIAN_CROSS_TRIPLES = new Set([
  "aarch64-linux-gnu",
  "alpha-linux-gnu",
  "arm-linux-gnueabi",
  "arm-linux-gnueabihf",
  "hppa-linux-gnu",
  "i686-linux-gnu",
  "m68k-linux-gnu",
  "mips-linux-gnu",
  "mipsel-linux-gnu",
  "mips64-linux-gnuabi64",
  "mips64el-linux-gnuabi64",
  "powerpc-linux-gnu",
  "powerpc64-linux-gnu",
  "powerpc64le-linux-gnu",
  "riscv64-linux-gnu",
  "s390x-linux-gnu",
  "sh4-linux-gnu",
  "sparc64-linux-gnu",
  "x86_64-linux-gnu",
  "x86_64-linux-gnux32",
  "arm-none-eabi",
]);

/** The Debian multiarch spelling of a triple ("armv6j-hardfloat-linux-gnueabi" -> "arm-linux-gnueabihf"). */
export function debianTriple(triple: string): string {
  const n = normalizeTriple(triple);
  const arch = n.arch === "i386" ? "i686" : n.arch;
  if (n.os === "none") return `${arch}-none-${n.env || "eabi"}`;
  return [arch, n.os, n.env].filter((p) => p.length > 0).join("-");
}

/** One line a person can run (or follow) to get a compiler for `triple` on a Debian-like server. */
export function installHint(triple: string, family: CompilerFamily, kind: CompilerKind): string {
  if (family === "clang")
    return "apt-get install clang (one clang serves every target it was built for, with --target)";
  const deb = debianTriple(triple);
  if (deb === "arm-none-eabi")
    return kind === "c++"
      ? "apt-get install gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib"
      : "apt-get install gcc-arm-none-eabi";
  if (DEBIAN_CROSS_TRIPLES.has(deb)) {
    const pkgTriple = deb.replace(/_/g, "-");
    return `apt-get install ${kind === "c++" ? "g++" : "gcc"}-${pkgTriple}`;
  }
  return `no Debian package builds for ${triple}: build a cross compiler (e.g. crosstool-NG, which installs into ~/x-tools/<triple>/bin) and put its bin directory on the server's PATH or in its compiler directories`;
}
