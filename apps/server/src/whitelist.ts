import type { WireIdentity, WireMissingToolchain } from "@x/distcc-protocol";

/**
 * What the server needs from the toolchain index (`ToolchainIndex` of @x/distcc-toolchain has it):
 * the whitelist decision for the compiler name a client sent. Anything with these methods can be
 * given to startServer (an embedder may pass its own policy).
 */
export interface CompilerWhitelist {
  /** The compiler to run for `requested`, with flags to insert after argv[0]; undefined = refused. */
  lookupName(requested: string): WhitelistDecision;
  /**
   * Our extension: the installed compiler that produces what the client's compiler (its probed
   * identity, sent in XREQ) would, with the flags that make its ABI defaults equal. Without this
   * method the name in argv[0] decides, as for any client.
   */
  resolveIdentity?(wanted: WireIdentity): IdentityDecision;
  /** Every whitelisted compiler, for the capabilities answer (XCAP). */
  list?(): readonly { names: readonly string[]; identity: WireIdentity }[];
}

export type WhitelistDecision =
  | { ok: true; executable: string; flags?: readonly string[]; warnings?: readonly string[] }
  | {
      ok: false;
      reason: string /** `DISTCC_ERR_UNKNOWN_COMPILER`: no such compiler here at all (ToolchainIndex sets it). */;
      code?: string;
    };

/** resolveIdentity's answer: a refusal names the missing toolchain and how to install it. */
export type IdentityDecision =
  | { ok: true; executable: string; flags?: readonly string[]; warnings?: readonly string[] }
  | { ok: false; reason: string; missing?: WireMissingToolchain };
