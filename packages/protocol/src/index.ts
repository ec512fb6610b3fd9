// @x/distcc-protocol: the distcc 3.4 wire protocol (spec: docs/spec/distcc-wire.md).
export { DistccProtocolError, DistccConnectionError } from "./errors.js";
export type { DistccErrorCode, DistccConnectionErrorCode } from "./errors.js";
export { TOKEN_NAMES, HEADER_LENGTH, encodeHeader, decodeHeader, writeHeader } from "./tokens.js";
export type { TokenName, TokenHeader } from "./tokens.js";
export type { ProtocolVersion, Compression, PumpEntry, CompileRequest, CompileResponse } from "./messages.js";
export { isCompressedVersion } from "./messages.js";
export { DEFAULT_LIMITS } from "./limits.js";
export type { DecoderLimits } from "./limits.js";
export { encodeRequest, encodeResponse, concatChunks } from "./encode.js";
export type { EncodeOptions } from "./encode.js";
export { RequestDecoder } from "./request-decoder.js";
export type { RequestEvent, DecoderOptions } from "./request-decoder.js";
export { ResponseDecoder } from "./response-decoder.js";
export { decodeRequest, decodeResponse } from "./decode-whole.js";
export type { ResponseEvent } from "./response-decoder.js";
export { lzo1xCompress, lzo1xCompressBound } from "./lzo/compress.js";
export { lzo1xDecompress } from "./lzo/decompress.js";
export type { LzoDecompressOptions } from "./lzo/decompress.js";
export { lz4Compress, lz4Decompress } from "./lz4.js";
export type { Lz4DecompressOptions } from "./lz4.js";
export { exitedStatus, signaledStatus, parseWaitStatus, statusToExitCode } from "./status.js";
export type { WaitStatus } from "./status.js";
export {
  EXIT_SUCCESS,
  EXIT_DISTCC_FAILED,
  EXIT_BAD_ARGUMENTS,
  EXIT_BIND_FAILED,
  EXIT_CONNECT_FAILED,
  EXIT_OUT_OF_MEMORY,
  EXIT_BAD_HOSTSPEC,
  EXIT_IO_ERROR,
  EXIT_TRUNCATED,
  EXIT_PROTOCOL_ERROR,
  EXIT_COMPILER_MISSING,
  EXIT_RECURSION,
  EXIT_SETUID_FAILED,
  EXIT_ACCESS_DENIED,
  EXIT_BUSY,
  EXIT_NO_SUCH_FILE,
  EXIT_NO_HOSTS,
  EXIT_TIMEOUT,
} from "./exit-codes.js";
export { sendCompileRequest } from "./socket/send-compile-request.js";
export type { SendCompileRequestOptions } from "./socket/send-compile-request.js";
export { readCompileRequest } from "./socket/read-compile-request.js";
export type { ReadCompileRequestOptions } from "./socket/read-compile-request.js";
export { writeCompileResponse } from "./socket/write-compile-response.js";
export type { WriteCompileResponseOptions } from "./socket/write-compile-response.js";
export { sendCompileJob } from "./socket/send-compile-request.js";
export type { SendCompileJobOptions, CompileExchange } from "./socket/send-compile-request.js";
// Our extensions (both ends ours only): docs/protocol-extensions.md.
export { DistccExtensionError } from "./extensions/ext-errors.js";
export type { DistccExtensionErrorCode } from "./extensions/ext-errors.js";
export {
  EXTENSION_TOKENS,
  EXT_MAX_PAYLOAD,
  encodeExtensionPacket,
  extensionTokenAt,
  parseExtensionPayload,
  ExtensionPacketReader,
} from "./extensions/ext-packet.js";
export type { ExtensionToken, ExtensionPacket } from "./extensions/ext-packet.js";
export {
  wireIdentitySchema,
  requestExtensionSchema,
  serverTrailerSchema,
  capabilitiesQuerySchema,
  capabilitiesSchema,
  missingToolchainSchema,
  headerRefsSchema,
  digestSchema,
  MAX_HEADER_REFS,
  toWireIdentity,
} from "./extensions/ext-messages.js";
export type {
  WireIdentity,
  ServerFeature,
  RequestExtension,
  ServerTrailer,
  CapabilitiesQuery,
  Capabilities,
  WireMissingToolchain,
  HeaderRefs,
} from "./extensions/ext-messages.js";
export { queryCapabilities } from "./extensions/capabilities-query.js";
export type { QueryCapabilitiesOptions } from "./extensions/capabilities-query.js";
export {
  DISTCC_COMPATIBLE_VERSION,
  DISTCC_DEFAULT_PORT,
  gnuHostTriplet,
  distccVersionBanner,
} from "./version-banner.js";
export { DOCTOR_PROBE_COMPILER } from "./doctor-probe.js";
