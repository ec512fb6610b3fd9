import { z } from "zod";

/**
 * The extension messages, zod-checked on both ends. Every string and list is bounded so a hostile
 * peer cannot make the other side hold much; unknown keys are dropped (a newer peer may add some).
 * Wire format and the reasons behind it: docs/protocol-extensions.md.
 */

const short = z.string().min(1).max(128);

/** What a compiler is, as it travels: the CompilerIdentity of @x/distcc-toolchain without its local path. */
export const wireIdentitySchema = z.object({
  family: z.enum(["gcc", "clang"]),
  kind: z.enum(["c", "c++"]),
  version: short,
  target: short,
  abi: z.object({
    arch: short.optional(),
    cpu: short.optional(),
    tune: short.optional(),
    floatAbi: z.enum(["soft", "softfp", "hard"]).optional(),
    fpu: short.optional(),
    mode: z.enum(["arm", "thumb"]).optional(),
    endian: z.enum(["little", "big"]),
    pointerBits: z.union([z.literal(32), z.literal(64)]),
  }),
});
export type WireIdentity = z.infer<typeof wireIdentitySchema>;

/**
 * Features a server of ours announces. Unknown names from a newer server are kept as strings.
 * `headers`: it keeps a header cache (a content store keyed by SHA-256), so pump requests may
 * reference files and file sets instead of sending them.
 */
export type ServerFeature = "lz4" | "identity" | "caps" | "headers";
const featureList = z.array(z.string().max(32)).max(32);

/** A SHA-256 digest in lower-case hex: the key of the server's header cache. */
export const digestSchema = z.string().regex(/^[0-9a-f]{64}$/);

/** Header references one request may carry (bounded: they travel in one XREQ of at most EXT_MAX_PAYLOAD). */
export const MAX_HEADER_REFS = 3000;

/**
 * The header cache part of an XREQ (protocol 3 only, to a server announcing `headers`).
 * Digests are of the uncompressed content; the server computes every digest it keys by itself.
 */
export const headerRefsSchema = z.object({
  /**
   * A file set the server confirmed before (its manifest's digest): the set's files are placed
   * first, then the request's own NFIL entries.
   */
  set: digestSchema.optional(),
  /** [NFIL index, digest]: that FILE is sent with an empty body; its content is the stored one. */
  refs: z
    .array(z.tuple([z.number().int().min(0).max(65_535), digestSchema]))
    .max(MAX_HEADER_REFS)
    .optional(),
  /** NFIL indexes the server must not store nor count in the job's set (the source: it changes). */
  exclude: z.array(z.number().int().min(0).max(65_535)).max(64).optional(),
});
export type HeaderRefs = z.infer<typeof headerRefsSchema>;

/** XREQ: sent by our client before DIST, only to a host known to be ours. */
export const requestExtensionSchema = z.object({
  v: z.number().int().min(1),
  /** Body compression of the request and of the response (versions 2 and 3). */
  compression: z.enum(["lzo", "lz4"]),
  /** The client compiler's identity: the server resolves it instead of the name in argv[0]. */
  identity: wireIdentitySchema.optional(),
  /** Pump requests: header cache references (docs/protocol-extensions.md, "Header cache"). */
  headers: headerRefsSchema.optional(),
});
export type RequestExtension = z.infer<typeof requestExtensionSchema>;

/** A toolchain the server lacks, and how to add it (the refusal of an identity it cannot serve). */
export const missingToolchainSchema = z.object({
  target: short,
  family: z.enum(["gcc", "clang"]),
  kind: z.enum(["c", "c++"]),
  hint: z.string().min(1).max(512),
});
export type WireMissingToolchain = z.infer<typeof missingToolchainSchema>;

/** XSRV: appended by our server after the last token of every compile response. */
export const serverTrailerSchema = z.object({
  v: z.number().int().min(1),
  /** e.g. "distcc-ts 0.1.0". */
  server: z.string().min(1).max(128),
  features: featureList,
  /** How the job's compiler was chosen: "identity" (XREQ identity) or "name" (argv[0]). */
  resolvedBy: z.enum(["identity", "name"]).optional(),
  /** Flags the server added for the client's ABI (identity resolution). */
  flags: z.array(z.string().max(256)).max(32).optional(),
  /** Set when the job was refused because no installed toolchain matches the identity. */
  missing: missingToolchainSchema.optional(),
  /**
   * Header cache: `set`, the digest of the manifest of this job's files, now all stored; or
   * `missing`, references this server does not hold: nothing was compiled, send it again with bodies.
   */
  headers: z.object({ set: digestSchema.optional(), missing: z.array(digestSchema).max(2048).optional() }).optional(),
});
export type ServerTrailer = z.infer<typeof serverTrailerSchema>;

/** XCAP sent by a client: "which toolchains do you have". */
export const capabilitiesQuerySchema = z.object({ v: z.number().int().min(1) });
export type CapabilitiesQuery = z.infer<typeof capabilitiesQuerySchema>;

/** XCAP answered by our server. */
export const capabilitiesSchema = z.object({
  v: z.number().int().min(1),
  server: z.string().min(1).max(128),
  features: featureList,
  /** Compile slots (--jobs). */
  slots: z.number().int().min(0).max(100_000),
  /** Jobs compiling now. */
  running: z.number().int().min(0).max(1_000_000),
  toolchains: z
    .array(z.object({ names: z.array(z.string().min(1).max(256)).max(64), identity: wireIdentitySchema }))
    .max(256),
});
export type Capabilities = z.infer<typeof capabilitiesSchema>;

/** Drops what must not travel (the local path) from a probed identity. */
export function toWireIdentity(identity: WireIdentity & { path?: string }): WireIdentity {
  const { family, kind, version, target, abi } = identity;
  const wireAbi: WireIdentity["abi"] = { endian: abi.endian, pointerBits: abi.pointerBits };
  for (const k of ["arch", "cpu", "tune", "fpu"] as const) if (abi[k] !== undefined) wireAbi[k] = abi[k];
  if (abi.floatAbi !== undefined) wireAbi.floatAbi = abi.floatAbi;
  if (abi.mode !== undefined) wireAbi.mode = abi.mode;
  return { family, kind, version, target, abi: wireAbi };
}
