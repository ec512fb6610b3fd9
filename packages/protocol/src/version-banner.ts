/** The distcc release whose wire protocol and command lines both bins reproduce. */
export const DISTCC_COMPATIBLE_VERSION = "3.4";

/** distcc's default TCP port (and what `--version` prints). */
export const DISTCC_DEFAULT_PORT = 3632;

const GNU_CPU: Partial<Record<string, string>> = {
  x64: "x86_64",
  ia32: "i686",
  arm64: "aarch64",
  arm: "arm",
  riscv64: "riscv64",
  ppc64: "powerpc64le",
  s390x: "s390x",
  loong64: "loongarch64",
  mips64el: "mips64el",
};

/**
 * The GNU host triplet distcc prints after its version (`x86_64-pc-linux-gnu`, autoconf's
 * config.guess spelling), derived from the running Node's architecture and platform.
 */
export function gnuHostTriplet(arch: string = process.arch, platform: string = process.platform): string {
  const cpu = GNU_CPU[arch] ?? arch;
  const vendor = cpu === "x86_64" || cpu === "i686" ? "pc" : "unknown";
  const os = platform === "linux" ? "linux-gnu" : platform === "darwin" ? "darwin" : platform;
  return `${cpu}-${vendor}-${os}`;
}

/**
 * The first two lines of `distcc --version` / `distccd --version`, in distcc's exact shape, which
 * scripts parse (`distcc --version | head -1 | awk '{print $2}'` gives the distcc version):
 *
 *     distcc 3.4 x86_64-pc-linux-gnu
 *       (protocols 1, 2 and 3) (default port 3632)
 *
 * `program` is the distcc program the bin stands in for; callers add lines naming themselves.
 */
export function distccVersionBanner(program: "distcc" | "distccd", protocols: readonly number[]): string {
  const list =
    protocols.length === 1
      ? `protocol ${protocols[0]}`
      : `protocols ${protocols.slice(0, -1).join(", ")} and ${protocols[protocols.length - 1]}`;
  return `${program} ${DISTCC_COMPATIBLE_VERSION} ${gnuHostTriplet()}\n  (${list}) (default port ${DISTCC_DEFAULT_PORT})\n`;
}
