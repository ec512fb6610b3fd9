import { DistccProtocolError } from "./errors.js";
import type { DecoderLimits } from "./limits.js";
import type { CompileRequest, CompileResponse, ProtocolVersion } from "./messages.js";
import { RequestDecoder, type DecoderOptions } from "./request-decoder.js";
import { ResponseDecoder } from "./response-decoder.js";

/** Decodes a complete request held in memory (same rules and limits as RequestDecoder). */
export function decodeRequest(
  bytes: Uint8Array,
  limits?: Partial<DecoderLimits>,
  options?: DecoderOptions,
): CompileRequest {
  const decoder = new RequestDecoder(limits, options);
  const events = decoder.push(bytes);
  decoder.finish();
  const end = events[events.length - 1];
  if (end?.type !== "end") throw new DistccProtocolError("DISTCC_ERR_TRUNCATED", "the request is incomplete");
  return end.request;
}

/** Decodes a complete response held in memory (same rules and limits as ResponseDecoder). */
export function decodeResponse(
  bytes: Uint8Array,
  expectedVersion: ProtocolVersion,
  limits?: Partial<DecoderLimits>,
  options?: DecoderOptions,
): CompileResponse {
  const decoder = new ResponseDecoder(expectedVersion, limits, options);
  const events = decoder.push(bytes);
  decoder.finish();
  const end = events[events.length - 1];
  if (end?.type !== "end") throw new DistccProtocolError("DISTCC_ERR_TRUNCATED", "the response is incomplete");
  return end.response;
}
