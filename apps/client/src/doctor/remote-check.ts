import {
  DOCTOR_PROBE_COMPILER,
  queryCapabilities,
  sendCompileJob,
  sendCompileRequest,
  parseWaitStatus,
  statusToExitCode,
  toWireIdentity,
  type Capabilities,
  type CompileResponse,
  type ProtocolVersion,
} from "@x/distcc-protocol";
import type { TcpHostEntry } from "@x/distcc-hosts";
import {
  checkObjectTarget,
  installHint,
  readElfTarget,
  wireCompilerName,
  type CompilerIdentity,
  type ElfTarget,
} from "@x/distcc-toolchain";
import { describeHostFailure, type HostFailureKind } from "../agent/host-failure.js";
import { armAbiPinning } from "../agent/abi-pinning.js";

export interface Timeouts {
  connectTimeoutMs: number;
  ioTimeoutMs: number;
}

/**
 * What answers on a host: our distcc-server (with its capabilities), a distccd (or another server),
 * something that resets every request before answering (not allowed, or not a distcc server), or nothing.
 */
export type HostKind =
  | { reachable: false; kind: HostFailureKind; reason: string }
  | { reachable: true; resets: true; reason: string }
  | { reachable: true; resets?: false; ours: boolean; capabilities?: Capabilities; capabilitiesError?: string };

/** The tiny translation unit doctor compiles: floats in the signature make the ARM float ABI show. */
export const DOCTOR_SOURCE = "double distcc_doctor(double x, float y) { return x * 2.0 + y; }\n";

function version(host: TcpHostEntry): ProtocolVersion {
  // Protocol 3 needs an include server; the client speaks 2 to such hosts too.
  return host.protocol === 1 ? 1 : 2;
}

/**
 * One standard request with a compiler name no server has: our server refuses it with an explained
 * `distcc-server: ERROR:` answer and its XSRV trailer, a distccd closes the connection. Ours is
 * then asked which toolchains it has (XCAP). Only `doctor` pays these round trips; builds learn
 * "ours" from the trailer of their first job.
 */
export async function identifyHost(host: TcpHostEntry, t: Timeouts): Promise<HostKind> {
  try {
    const r = await sendCompileJob(
      { host: host.host, port: host.port },
      {
        version: version(host),
        argv: [DOCTOR_PROBE_COMPILER, "-c", "doctor.i", "-o", "doctor.o"],
        source: Buffer.from(DOCTOR_SOURCE),
      },
      { ...t, readTrailer: true },
    );
    const ours = r.server === "ours" || Buffer.from(r.response.stderr).toString().startsWith("distcc-server:");
    if (!ours) return { reachable: true, ours };
    try {
      return {
        reachable: true,
        ours,
        capabilities: await queryCapabilities({ host: host.host, port: host.port }, { timeoutMs: t.ioTimeoutMs }),
      };
    } catch (err) {
      return { reachable: true, ours, capabilitiesError: (err as Error).message };
    }
  } catch (err) {
    const f = describeHostFailure(err, t.ioTimeoutMs, { compiler: "distcc-doctor-probe-gcc" });
    if (f.kind === "reset-before-answer") return { reachable: true, resets: true, reason: f.reason };
    if (f.code === "DISTCC_ERR_CONNECT") return { reachable: false, kind: f.kind, reason: f.reason };
    // A distccd closes after reading a request for a compiler it does not have (this probe's).
    return { reachable: true, ours: false };
  }
}

/** `fix`: only when the failure says what would help (a compiler a distccd refused after reading the request, one ours says it lacks). */
export type CompilerVerdict =
  | { ok: true; wire: string; target: ElfTarget; sameAsLocal: boolean; differences: string[] }
  | { ok: false; wire: string; why: string; fix?: string };

/** Compile DOCTOR_SOURCE on `host` the way a build would send it, and judge the object. */
export async function checkCompilerOnHost(
  host: TcpHostEntry,
  hostKind: { ours: boolean },
  requested: string,
  identity: CompilerIdentity,
  local: ElfTarget | undefined,
  t: Timeouts,
): Promise<CompilerVerdict> {
  const wire = wireCompilerName(requested, identity);
  const ext = identity.kind === "c++" ? "ii" : "i";
  // Exactly what a build sends (request-plan.ts planRequest): to a distccd the name, clang's target
  // and ARM's defaults as options; to ours the name, clang's target and the identity (XREQ, LZ4).
  const extra = hostKind.ours ? [...wire.extraArgs] : [...wire.extraArgs, ...armAbiPinning(identity, [])];
  const argv = [wire.name, ...extra, "-c", `doctor.${ext}`, "-o", "doctor.o"];
  const shown = [wire.name, ...extra].join(" ");
  let response: CompileResponse;
  try {
    const req = { version: hostKind.ours ? (2 as const) : version(host), argv, source: Buffer.from(DOCTOR_SOURCE) };
    response = hostKind.ours
      ? (
          await sendCompileJob({ host: host.host, port: host.port }, req, {
            ...t,
            extension: {
              v: 1,
              compression: host.compression === "lzo" ? "lzo" : "lz4",
              identity: toWireIdentity(identity),
            },
          })
        ).response
      : await sendCompileRequest({ host: host.host, port: host.port }, req, t);
  } catch (err) {
    const f = describeHostFailure(err, t.ioTimeoutMs, { compiler: wire.name });
    // Only a close after the whole request is distccd's refusal of this compiler; anything else
    // (a reset, the server dying, a timeout) is not fixed by installing it.
    if (f.kind === "closed-after-request" && !hostKind.ours)
      return { ok: false, wire: shown, why: `it ${f.reason}`, fix: fixFor(host, identity) };
    return { ok: false, wire: shown, why: `it ${f.reason}` };
  }
  const wait = parseWaitStatus(response.status);
  if (wait.kind !== "exited" || wait.code !== 0) {
    const stderr = Buffer.from(response.stderr).toString().trim();
    const first = stderr.split("\n")[0] ?? "";
    const why = `it failed (exit ${statusToExitCode(response.status)})${first ? `: ${first}` : ""}`;
    // Ours names the missing compiler and its package; a distccd's failing compile says nothing about one.
    const fromServer = /to add one: (.+?)(?:\)|$)/m.exec(stderr)?.[1]?.trim();
    return fromServer
      ? { ok: false, wire: shown, why, fix: `on ${host.host}: ${fromServer}` }
      : { ok: false, wire: shown, why };
  }
  const check = checkObjectTarget(response.object, identity);
  const target = readElfTarget(response.object);
  if (!check.ok || !target)
    return { ok: false, wire: shown, why: `it returned a wrong object: ${check.ok ? "not ELF" : check.reason}` };
  const differences = local ? compareTargets(local, target) : [];
  return { ok: true, wire: shown, target, sameAsLocal: local !== undefined && differences.length === 0, differences };
}

/**
 * For a distccd that read the request and closed (its way of refusing a compiler it has no link for):
 * the package, and distccd's link step. The probe with a compiler no one has was refused the same way,
 * while the connection itself was allowed (a host not allowing us resets first), so this is the cause.
 */
function fixFor(host: TcpHostEntry, identity: CompilerIdentity): string {
  return `on ${host.host}: ${installHint(identity.target, identity.family, identity.kind)} && update-distcc-symlinks (then restart distccd)`;
}

function compareTargets(local: ElfTarget, remote: ElfTarget): string[] {
  const out: string[] = [];
  if (local.machine !== remote.machine) out.push(`ELF machine ${remote.machine}, local ${local.machine}`);
  if (local.bits !== remote.bits) out.push(`ELF${remote.bits}, local ELF${local.bits}`);
  if (local.endian !== remote.endian) out.push(`${remote.endian}-endian, local ${local.endian}-endian`);
  if (local.armCpuArch !== remote.armCpuArch)
    out.push(`ARM Tag_CPU_arch ${remote.armCpuArch ?? "none"}, local ${local.armCpuArch ?? "none"}`);
  if ((local.armVfpArgs ?? false) !== (remote.armVfpArgs ?? false))
    out.push(`ARM VFP args ${remote.armVfpArgs ? "yes" : "no"}, local ${local.armVfpArgs ? "yes" : "no"}`);
  return out;
}

/** Tag_CPU_arch values (ARM IHI 0045). */
const ARM_ARCH: Record<number, string> = {
  1: "v4",
  2: "v4T",
  3: "v5T",
  4: "v5TE",
  5: "v5TEJ",
  6: "v6",
  7: "v6KZ",
  8: "v6T2",
  9: "v6K",
  10: "v7",
  11: "v6-M",
  13: "v7E-M",
  14: "v8",
};

export function describeTarget(t: ElfTarget): string {
  const names: Record<number, string> = { 3: "i386", 40: "ARM", 62: "x86-64", 183: "AArch64", 243: "RISC-V" };
  const parts = [`${names[t.machine] ?? `machine ${t.machine}`} ELF${t.bits}`, `${t.endian}-endian`];
  if (t.machine === 40) {
    parts.push(t.armVfpArgs ? "hard float" : "soft float");
    if (t.armCpuArch !== undefined) parts.push(`CPU ${ARM_ARCH[t.armCpuArch] ?? `arch ${t.armCpuArch}`}`);
  }
  return parts.join(", ");
}
