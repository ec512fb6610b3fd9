import type { RequestExtension, WireMissingToolchain } from "@x/distcc-protocol";
import type { CompilerWhitelist } from "./whitelist.js";

/** The compiler a job runs, and how it was chosen (for the trailer and the log). */
export type CompilerChoice =
  | { ok: true; executable: string; flags: readonly string[]; warnings: readonly string[]; by: "identity" | "name" }
  | {
      ok: false;
      reason: string;
      by: "identity" | "name";
      missing?: WireMissingToolchain /** No compiler of that name here at all. */;
      notInstalled?: boolean;
    };

/**
 * With an identity (XREQ from our client) and a whitelist that can resolve one, the identity
 * decides and argv[0] is only a label: a client compiler whose name this server does not know is
 * still served by the toolchain that makes the same code. Otherwise the name decides, as distccd.
 */
export function chooseJobCompiler(
  argv0: string,
  ext: RequestExtension | undefined,
  whitelist: CompilerWhitelist,
): CompilerChoice {
  if (ext?.identity && whitelist.resolveIdentity) {
    const r = whitelist.resolveIdentity(ext.identity);
    if (!r.ok) return { ok: false, reason: r.reason, by: "identity", ...(r.missing ? { missing: r.missing } : {}) };
    return { ok: true, executable: r.executable, flags: r.flags ?? [], warnings: r.warnings ?? [], by: "identity" };
  }
  const d = whitelist.lookupName(argv0);
  if (!d.ok)
    return {
      ok: false,
      reason: d.reason,
      by: "name",
      ...(d.code === "DISTCC_ERR_UNKNOWN_COMPILER" ? { notInstalled: true } : {}),
    };
  return { ok: true, executable: d.executable, flags: d.flags ?? [], warnings: d.warnings ?? [], by: "name" };
}
