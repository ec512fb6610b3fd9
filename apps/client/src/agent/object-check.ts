import { checkObjectTarget, readElfTarget, type CompilerIdentity } from "@x/distcc-toolchain";

/**
 * Issue 6 item 7: is a returned object what the local compiler would have produced (ELF machine,
 * class, byte order, ARM float convention, and for ARM no newer CPU architecture than the local
 * compiler targets)? Only `-c` output is an object; `-S` gives assembly, which has no header to
 * check. Without an identity there is nothing to compare with.
 */
export function checkReturnedObject(
  object: Uint8Array,
  identity: CompilerIdentity | undefined,
  mode: "compile" | "assemble",
  args: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  // clang's -emit-llvm writes bitcode, not ELF.
  if (!identity || mode !== "compile" || args.includes("-emit-llvm")) return { ok: true };
  const verdict = checkObjectTarget(object, identity, args);
  if (!verdict.ok) return { ok: false, reason: `it returned a wrong object for ${identity.target}: ${verdict.reason}` };
  const newer = newerArmArch(object, identity, args);
  if (newer) return { ok: false, reason: `it returned a wrong object for ${identity.target}: ${newer}` };
  return { ok: true };
}

/** Tag_CPU_arch of each `-march` base (ARM IHI 0045): a v7 object does not run on an armv6 Pi. */
const ARM_ARCH_TAG: Record<string, number> = {
  armv4: 1,
  armv4t: 2,
  armv5t: 3,
  armv5te: 4,
  armv5tej: 5,
  armv6: 6,
  armv6j: 6,
  armv6kz: 7,
  armv6zk: 7,
  armv6t2: 8,
  armv6k: 9,
  "armv7-a": 10,
  "armv7-r": 10,
  armv7ve: 10,
  armv7: 10,
  "armv6-m": 11,
  "armv7e-m": 13,
  "armv8-a": 14,
  "armv8.1-a": 14,
  "armv8.2-a": 14,
};

/**
 * A helper whose compiler defaults to a newer ARM architecture (Debian's armhf gcc: armv7-a) than the
 * client's (Raspbian's: armv6) gives objects that link fine and crash with SIGILL on the device.
 * Unchecked when the command line names its own -march/-mcpu.
 */
function newerArmArch(object: Uint8Array, identity: CompilerIdentity, args: readonly string[]): string | undefined {
  if (args.some((a) => a.startsWith("-march=") || a.startsWith("-mcpu="))) return undefined;
  const base = identity.abi.arch?.split("+")[0]?.toLowerCase();
  const wanted = base === undefined ? undefined : ARM_ARCH_TAG[base];
  if (wanted === undefined) return undefined;
  const got = readElfTarget(object)?.armCpuArch;
  if (got === undefined || got <= wanted) return undefined;
  return `its code needs ARM architecture tag ${got}, newer than the local compiler's ${identity.abi.arch} (tag ${wanted})`;
}
