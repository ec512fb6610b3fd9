import type { CompilerAbi } from "./identity.js";
import type { NormalizedTriple } from "./triples.js";

export interface AbiAdjustment {
  /** Flags that make the candidate's defaults equal the wanted ones; insert right after argv[0]. */
  flags: string[];
  /** Differences no flag can bridge (endianness, pointer size): the candidate is unusable. */
  blockers: string[];
}

/**
 * Flags that turn `have`'s code-generation defaults into `wanted`'s. Only fields `wanted` states are
 * compared. The flags go before the client's own arguments, so an explicit `-march` of the client
 * still wins (gcc and clang take the last occurrence).
 */
export function abiAdjustment(wanted: Partial<CompilerAbi>, have: CompilerAbi): AbiAdjustment {
  const flags: string[] = [];
  const blockers: string[] = [];
  if (wanted.endian !== undefined && wanted.endian !== have.endian)
    blockers.push(`${have.endian}-endian instead of ${wanted.endian}-endian`);
  if (wanted.pointerBits !== undefined && wanted.pointerBits !== have.pointerBits) {
    blockers.push(`${have.pointerBits}-bit pointers instead of ${wanted.pointerBits}-bit`);
  }
  if (wanted.arch !== undefined && wanted.arch !== have.arch) flags.push(`-march=${wanted.arch}`);
  if (wanted.cpu !== undefined && wanted.cpu !== have.cpu) flags.push(`-mcpu=${wanted.cpu}`);
  if (wanted.tune !== undefined && wanted.tune !== have.tune) flags.push(`-mtune=${wanted.tune}`);
  if (wanted.fpu !== undefined && wanted.fpu !== have.fpu) flags.push(`-mfpu=${wanted.fpu}`);
  if (wanted.floatAbi !== undefined && wanted.floatAbi !== have.floatAbi) {
    // soft and softfp share the calling convention; hard does not, and no flag makes a gnueabi
    // sysroot a gnueabihf one, but for one preprocessed object file the flag is exactly right.
    flags.push(`-mfloat-abi=${wanted.floatAbi}`);
  }
  if (wanted.mode !== undefined && wanted.mode !== have.mode) flags.push(wanted.mode === "arm" ? "-marm" : "-mthumb");
  return { flags, blockers };
}

/**
 * What an ARM triple's spelling says about the code it wants ("armv6j-hardfloat-..." is armv6, VFP,
 * hard float, ARM mode: the Raspberry Pi 1). Other architectures' triples say nothing more than the target.
 */
export function abiImpliedByTriple(n: NormalizedTriple): Partial<CompilerAbi> {
  const abi: Partial<CompilerAbi> = {};
  if (n.arch !== "arm" && n.arch !== "armeb") return abi;
  if (n.floatAbi === "hard") abi.floatAbi = "hard";
  const sub = n.subArch;
  if (!sub) return abi;
  const level = Number(/^armv(\d+)/.exec(sub)?.[1] ?? "0");
  if (/^armv7a?$/.test(sub)) {
    abi.arch = n.floatAbi === "hard" ? "armv7-a+fp" : "armv7-a";
  } else if (/^armv8a?$/.test(sub)) {
    abi.arch = "armv8-a";
  } else if (/^armv6(j)?$/.test(sub)) {
    abi.arch = "armv6";
  } else if (/^armv6(zk|kz)$/.test(sub)) {
    abi.arch = "armv6kz";
  } else {
    abi.arch = sub;
  }
  // Before v6T2 Thumb is Thumb-1, which no Linux distribution uses as default (and which cannot do
  // hard float): those triples mean ARM mode.
  if (level > 0 && level <= 6 && sub !== "armv6t2") abi.mode = "arm";
  // A hard-float ARMv6/v5 has VFPv2 and nothing else (the Raspberry Pi 1 is the case that matters).
  if (n.floatAbi === "hard" && level > 0 && level <= 6) abi.fpu = "vfp";
  return abi;
}
