/**
 * What the server needs from the toolchain index (`ToolchainIndex` of @x/distcc-toolchain has it):
 * the whitelist decision for the compiler name a client sent. Anything with these methods can be
 * given to startServer (an embedder may pass its own policy).
 */
export interface CompilerWhitelist {
  /** The compiler to run for `requested`, with flags to insert after argv[0]; undefined = refused. */
  lookupName(requested: string): WhitelistDecision;
}

export type WhitelistDecision =
  | { ok: true; executable: string; flags?: readonly string[]; warnings?: readonly string[] }
  | { ok: false; reason: string };
