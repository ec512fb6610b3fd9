/** Stable codes of every error this package throws. */
import { DistccError } from "@x/distcc-errors";

export type DistccErrorCode =
  | "DISTCC_ERR_BAD_TOKEN"
  | "DISTCC_ERR_BAD_HEX"
  | "DISTCC_ERR_BAD_VERSION"
  | "DISTCC_ERR_LIMIT"
  | "DISTCC_ERR_TRUNCATED"
  | "DISTCC_ERR_LZO"
  | "DISTCC_ERR_LZ4"
  | "DISTCC_ERR_TRAILING_DATA"
  | "DISTCC_ERR_DECODER_FAILED"
  | "DISTCC_ERR_BAD_MESSAGE";

/**
 * Anything wrong with the bytes themselves: a derailed token, bad hex, a length over a limit,
 * a corrupt compressed body, a truncated stream. Decoders throw nothing else.
 */
export class DistccProtocolError extends DistccError<DistccErrorCode> {}

export type DistccConnectionErrorCode =
  | "DISTCC_ERR_CONNECT"
  | "DISTCC_ERR_TIMEOUT"
  | "DISTCC_ERR_NO_ANSWER"
  | "DISTCC_ERR_CLOSED"
  | "DISTCC_ERR_ABORTED";

/**
 * Transport failures of the socket helpers: could not connect, idle timeout, the peer closed
 * without a single byte (distccd's way of refusing anything), the connection broke mid-message,
 * or the caller aborted.
 */
export class DistccConnectionError extends DistccError<DistccConnectionErrorCode> {}
