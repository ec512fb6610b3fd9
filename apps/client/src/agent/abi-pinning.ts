import { normalizeTriple, type CompilerIdentity } from "@x/distcc-toolchain";

/**
 * The local compiler's ARM code-generation defaults, spelled as options, for the options the
 * command line does not set itself. A compiler with these options makes the same code as without
 * them here, and the same code on any helper whose compiler has the same target, whatever *its*
 * defaults are (Debian's armhf gcc: armv7-a + Thumb-2; Raspbian's: armv6 + VFP + ARM mode). That is
 * the client's identity carried in the one language every distcc 3.x peer already speaks, so it
 * also reaches a real distccd, and it costs no round trip.
 *
 * Only 32-bit ARM gcc: the one family of targets where compilers of one triple disagree on the
 * instruction set and FPU. A category the user set (-march or -mcpu, -mfpu, -mfloat-abi, -marm or
 * -mthumb) is left alone, so the user's choice means what it means locally.
 */
export function armAbiPinning(
  identity: Pick<CompilerIdentity, "family" | "target" | "abi">,
  args: readonly string[],
): string[] {
  if (identity.family !== "gcc") return [];
  const arch = archOf(identity.target);
  if (arch !== "arm" && arch !== "armeb") return [];
  const has = (re: RegExp): boolean => args.some((a) => re.test(a));
  const out: string[] = [];
  const { abi } = identity;
  if (!has(/^-m(arch|cpu)=/)) {
    if (abi.arch) out.push(`-march=${abi.arch}`);
    else if (abi.cpu) out.push(`-mcpu=${abi.cpu}`);
  }
  if (abi.fpu && abi.fpu !== "auto" && !has(/^-mfpu=/)) out.push(`-mfpu=${abi.fpu}`);
  if (abi.floatAbi && !has(/^-(mfloat-abi=|msoft-float$|mhard-float$)/)) out.push(`-mfloat-abi=${abi.floatAbi}`);
  if (abi.mode && !has(/^-m(arm|thumb)$/)) out.push(abi.mode === "thumb" ? "-mthumb" : "-marm");
  return out;
}

/** Architectures of the targets seen: every job of a build asks about the same one or two. */
const arches = new Map<string, string>();
function archOf(target: string): string {
  let arch = arches.get(target);
  if (arch === undefined) {
    arch = normalizeTriple(target).arch;
    if (arches.size > 64) arches.clear();
    arches.set(target, arch);
  }
  return arch;
}
