// What machine an object file is for, read from its ELF header (and, for ARM, its build attributes),
// so a client can refuse an object built for another machine than the compiler it asked for.
import type { CompilerIdentity } from "./identity.js";
import { normalizeTriple } from "./triples.js";

export interface ElfTarget {
  bits: 32 | 64;
  endian: "little" | "big";
  /** e_machine (EM_X86_64 = 62, EM_ARM = 40, EM_AARCH64 = 183, ...). */
  machine: number;
  /** ARM only: Tag_ABI_VFP_args says floating-point arguments go in VFP registers. */
  armVfpArgs?: boolean;
  /** ARM only: Tag_CPU_arch (6 = v6, 10 = v7, 14 = v8 ...), when present. */
  armCpuArch?: number;
}

const EM: Record<string, number> = {
  i386: 3,
  m68k: 4,
  mips: 8,
  mipsel: 8,
  mips64: 8,
  mips64el: 8,
  hppa: 15,
  powerpc: 20,
  powerpc64: 21,
  powerpc64le: 21,
  s390x: 22,
  s390: 22,
  arm: 40,
  armeb: 40,
  sh4: 42,
  sparc64: 43,
  x86_64: 62,
  aarch64: 183,
  aarch64_be: 183,
  riscv64: 243,
  riscv32: 243,
  loongarch64: 258,
};

/** e_machine pairs one compiler reaches with -m32/-m64: x86, PowerPC, s390, SPARC. */
const MACHINE_SIBLINGS: readonly (readonly number[])[] = [[62, 3], [21, 20], [22], [43, 2, 18]];

const SHT_ARM_ATTRIBUTES = 0x70000003;

/** Parse an ELF header (and ARM attributes); undefined when `bytes` is not a well-formed ELF file. */
export function readElfTarget(bytes: Uint8Array): ElfTarget | undefined {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    return undefined;
  const cls = bytes[4];
  const data = bytes[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const bits = cls === 2 ? 64 : 32;
  const little = data === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => view.getUint16(o, little);
  const u32 = (o: number): number => view.getUint32(o, little);
  const word = (o: number): number => (bits === 64 ? Number(view.getBigUint64(o, little)) : u32(o));
  if (bits === 64 && bytes.length < 64) return undefined;
  const machine = u16(18);
  const target: ElfTarget = { bits, endian: little ? "little" : "big", machine };
  if (machine !== 40) return target;

  // ARM: find .ARM.attributes through the section headers.
  const shoff = word(bits === 64 ? 40 : 32);
  const shentsize = u16(bits === 64 ? 58 : 46);
  const shnum = u16(bits === 64 ? 60 : 48);
  if (shoff === 0 || shentsize < 40 || shoff + shnum * shentsize > bytes.length) return target;
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    if (u32(sh + 4) !== SHT_ARM_ATTRIBUTES) continue;
    const off = u32(sh + 16);
    const size = u32(sh + 20);
    if (off + size > bytes.length) return target;
    Object.assign(target, parseArmAttributes(bytes.subarray(off, off + size), little));
    break;
  }
  return target;
}

/** The "aeabi" file-scope attributes that matter here (format: ARM IHI 0045, "Build Attributes"). */
function parseArmAttributes(sec: Uint8Array, little: boolean): Pick<ElfTarget, "armVfpArgs" | "armCpuArch"> {
  const out: Pick<ElfTarget, "armVfpArgs" | "armCpuArch"> = {};
  if (sec[0] !== 0x41) return out; // format version 'A'
  const view = new DataView(sec.buffer, sec.byteOffset, sec.byteLength);
  let pos = 1;
  while (pos + 4 <= sec.length) {
    const len = view.getUint32(pos, little);
    if (len < 5 || pos + len > sec.length) break;
    const end = pos + len;
    let p = pos + 4;
    let vendor = "";
    while (p < end && sec[p] !== 0) vendor += String.fromCharCode(sec[p++] ?? 0);
    p++;
    if (vendor === "aeabi") {
      while (p + 5 <= end) {
        const tag = sec[p];
        const subLen = view.getUint32(p + 1, little);
        if (subLen < 5 || p + subLen > end) break;
        if (tag === 1) readFileAttributes(sec.subarray(p + 5, p + subLen), out);
        p += subLen;
      }
    }
    pos = end;
  }
  return out;
}

function readFileAttributes(a: Uint8Array, out: Pick<ElfTarget, "armVfpArgs" | "armCpuArch">): void {
  let p = 0;
  const uleb = (): number => {
    let result = 0;
    let shift = 0;
    while (p < a.length) {
      const b = a[p++] ?? 0;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return result;
  };
  const ntbs = (): void => {
    while (p < a.length && a[p] !== 0) p++;
    p++;
  };
  while (p < a.length) {
    const tag = uleb();
    if (tag === 4 || tag === 5 || tag === 67) ntbs();
    else if (tag === 32) {
      uleb();
      ntbs();
    } else if (tag > 32 && tag % 2 === 1) ntbs();
    else {
      const value = uleb();
      if (tag === 6) out.armCpuArch = value;
      if (tag === 28) out.armVfpArgs = value === 1;
    }
  }
}

/** The header fields an object from this compiler must have: e_machine, class, byte order. */
function expectedElfTarget(
  identity: Pick<CompilerIdentity, "target" | "abi">,
): Omit<ElfTarget, "armCpuArch" | "armVfpArgs"> & { armVfpArgs?: boolean } {
  const n = normalizeTriple(identity.target);
  const machine = EM[n.arch] ?? EM[n.arch.replace(/el$/, "")] ?? -1;
  const out: Omit<ElfTarget, "armCpuArch" | "armVfpArgs"> & { armVfpArgs?: boolean } = {
    bits: identity.abi.pointerBits,
    endian: identity.abi.endian,
    machine,
  };
  if (machine === 40) out.armVfpArgs = identity.abi.floatAbi === "hard";
  return out;
}

/** Options in a command line that legitimately change what the checked fields would be. */
const CHANGES_CLASS = /^-m(32|64|x32|16|abi=.*|lp64|ilp32)$/;
const CHANGES_FLOAT = /^-(mfloat-abi=.*|msoft-float|mhard-float)$/;
const CHANGES_ENDIAN = /^-m(big|little)-endian$|^-m(eb|el)$/;

/**
 * Is `object` what `identity`'s compiler produces for `args` (the client's command line)? Checks
 * e_machine, ELF class, byte order and, for ARM, the float calling convention; a field the command
 * line itself changes (-m32, -mfloat-abi=soft for the Linux kernel, ...) is not checked.
 */
export function checkObjectTarget(
  object: Uint8Array,
  identity: Pick<CompilerIdentity, "target" | "abi">,
  args: readonly string[] = [],
): { ok: true } | { ok: false; reason: string } {
  const got = readElfTarget(object);
  if (!got) return { ok: false, reason: "the result is not an ELF object file" };
  const want = expectedElfTarget(identity);
  const classChanged = args.some((a) => CHANGES_CLASS.test(a));
  // -m32/-m64 also switch between an architecture's 32- and 64-bit machines.
  const siblings = classChanged
    ? (MACHINE_SIBLINGS.find((set) => set.includes(want.machine)) ?? [want.machine])
    : [want.machine];
  if (want.machine >= 0 && !siblings.includes(got.machine)) {
    return {
      ok: false,
      reason: `object is for ELF machine ${got.machine}, expected ${want.machine} (${identity.target})`,
    };
  }
  if (!classChanged && got.bits !== want.bits) {
    return { ok: false, reason: `object is ELF${got.bits}, expected ELF${want.bits} (${identity.target})` };
  }
  if (!args.some((a) => CHANGES_ENDIAN.test(a)) && got.endian !== want.endian) {
    return { ok: false, reason: `object is ${got.endian}-endian, expected ${want.endian}-endian` };
  }
  if (
    want.armVfpArgs !== undefined &&
    !args.some((a) => CHANGES_FLOAT.test(a)) &&
    (got.armVfpArgs ?? false) !== want.armVfpArgs
  ) {
    return {
      ok: false,
      reason: `object passes floats ${got.armVfpArgs ? "in VFP registers (hard float)" : "in core registers (soft float)"}, expected ${want.armVfpArgs ? "hard" : "soft"} float`,
    };
  }
  return { ok: true };
}
