import { encodeExtensionPacket, toWireIdentity, type Capabilities, type ServerTrailer, type WireMissingToolchain } from "@x/distcc-protocol";
import type { JobContext } from "./job-context.js";
import { packageVersion } from "./version.js";

/** What this server offers to a client of ours (docs/protocol-extensions.md). */
export const SERVER_FEATURES = ["lz4", "identity", "caps"] as const;
const serverName = (): string => `distcc-ts ${packageVersion()}`;

/**
 * The XSRV packet appended after every compile response: a client of ours learns from it that this
 * host is ours; a real distcc client never reads past DOTO/DOTD (it closes the socket).
 */
export function serverTrailer(extra: { resolvedBy?: "identity" | "name"; flags?: readonly string[]; missing?: WireMissingToolchain } = {}): Uint8Array {
  const t: ServerTrailer = { v: 1, server: serverName(), features: [...SERVER_FEATURES] };
  if (extra.resolvedBy) t.resolvedBy = extra.resolvedBy;
  if (extra.flags && extra.flags.length > 0) t.flags = extra.flags.slice(0, 32).map((f) => f.slice(0, 256));
  if (extra.missing) t.missing = extra.missing;
  return encodeExtensionPacket("XSRV", t);
}

/** The XCAP answer: the whitelisted toolchains (by identity, without paths), slots and load. */
export function capabilitiesAnswer(ctx: Pick<JobContext, "whitelist" | "slots">): Uint8Array {
  const toolchains = (ctx.whitelist.list?.() ?? []).slice(0, 256).map((c) => ({
    names: c.names.slice(0, 64).map((n) => n.slice(0, 256)),
    identity: toWireIdentity(c.identity),
  }));
  const caps: Capabilities = {
    v: 1,
    server: serverName(),
    features: [...SERVER_FEATURES],
    slots: ctx.slots.capacity,
    running: ctx.slots.running,
    toolchains,
  };
  return encodeExtensionPacket("XCAP", caps);
}
