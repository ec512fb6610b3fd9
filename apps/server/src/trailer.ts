import {
  encodeExtensionPacket,
  toWireIdentity,
  type Capabilities,
  type ServerTrailer,
  type WireMissingToolchain,
} from "@x/distcc-protocol";
import type { JobContext } from "./job-context.js";
import { packageVersion } from "./version.js";

/** What this server offers to a client of ours (docs/protocol-extensions.md). */
const SERVER_FEATURES = ["lz4", "identity", "caps"] as const;

/** The features of a server, `headers` when it keeps a header cache (--cache-size not 0). */
function serverFeatures(headerCache: boolean): string[] {
  return headerCache ? [...SERVER_FEATURES, "headers"] : [...SERVER_FEATURES];
}
let name: string | undefined;
/** Read once: the version comes from package.json (a file read and a JSON parse). */
const serverName = (): string => (name ??= `distcc-ts ${packageVersion()}`);

/** The trailers of compiled jobs, by how the compiler was chosen and its flags (a handful per server). */
const compiledTrailers = new Map<string, Uint8Array>();
const MAX_CACHED_TRAILERS = 64;

/**
 * The XSRV packet appended after every compile response: a client of ours learns from it that this
 * host is ours; a real distcc client never reads past DOTO/DOTD (it closes the socket).
 */
export function serverTrailer(
  extra: {
    resolvedBy?: "identity" | "name";
    flags?: readonly string[];
    missing?: WireMissingToolchain;
    headerCache?: boolean;
    headers?: ServerTrailer["headers"];
  } = {},
): Uint8Array {
  const t: ServerTrailer = { v: 1, server: serverName(), features: serverFeatures(extra.headerCache ?? false) };
  if (extra.resolvedBy) t.resolvedBy = extra.resolvedBy;
  if (extra.flags && extra.flags.length > 0) t.flags = extra.flags.slice(0, 32).map((f) => f.slice(0, 256));
  if (extra.missing) t.missing = extra.missing;
  if (extra.headers) t.headers = extra.headers;
  return encodeExtensionPacket("XSRV", t);
}

/** serverTrailer for a compiled job; the bytes are the same for every job with that choice, so they are kept. */
export function compiledJobTrailer(
  resolvedBy: "identity" | "name",
  flags: readonly string[],
  headerCache = false,
  headerSet?: string,
): Uint8Array {
  // A job's header set is its own: that trailer is made for it alone.
  if (headerSet !== undefined) return serverTrailer({ resolvedBy, flags, headerCache, headers: { set: headerSet } });
  const key = `${resolvedBy}\0${headerCache}\0${flags.join("\0")}`;
  let bytes = compiledTrailers.get(key);
  if (!bytes) {
    if (compiledTrailers.size >= MAX_CACHED_TRAILERS) compiledTrailers.clear();
    bytes = serverTrailer({ resolvedBy, flags, headerCache });
    compiledTrailers.set(key, bytes);
  }
  return bytes;
}

/** The XCAP answer: the whitelisted toolchains (by identity, without paths), slots and load. */
export function capabilitiesAnswer(ctx: Pick<JobContext, "whitelist" | "slots" | "headerStore">): Uint8Array {
  const toolchains = (ctx.whitelist.list?.() ?? []).slice(0, 256).map((c) => ({
    names: c.names.slice(0, 64).map((n) => n.slice(0, 256)),
    identity: toWireIdentity(c.identity),
  }));
  const caps: Capabilities = {
    v: 1,
    server: serverName(),
    features: serverFeatures(ctx.headerStore !== undefined),
    slots: ctx.slots.capacity,
    running: ctx.slots.running,
    toolchains,
  };
  return encodeExtensionPacket("XCAP", caps);
}
