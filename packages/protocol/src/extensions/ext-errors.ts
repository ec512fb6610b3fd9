/** Stable codes of the extension layer (our-client <-> our-server only). */
import { DistccError } from "@x/distcc-errors";

export type DistccExtensionErrorCode =
  /** Not an extension packet where one was required (unknown 4-letter token, bad hex). */
  | "DISTCC_ERR_EXT_BAD_HEADER"
  /** The packet's length is over EXT_MAX_PAYLOAD. */
  | "DISTCC_ERR_EXT_TOO_BIG"
  /** The payload is not UTF-8 JSON, or does not match the message's schema. */
  | "DISTCC_ERR_EXT_BAD_PAYLOAD"
  /** The stream ended inside a packet. */
  | "DISTCC_ERR_EXT_TRUNCATED";

/** A malformed extension packet. Thrown by the extension decoders, never anything else. */
export class DistccExtensionError extends DistccError<DistccExtensionErrorCode> {}
