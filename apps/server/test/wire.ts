import { readFileSync } from "node:fs";
import {
  ExtensionPacketReader,
  parseExtensionPayload,
  ResponseDecoder,
  serverTrailerSchema,
  type CompileResponse,
  type ExtensionPacket,
  type ProtocolVersion,
  type ServerTrailer,
} from "@x/distcc-protocol";
import { vectorPath } from "@x/testkit";

/** A captured request or response. */
export function capture(name: string, dir: "c2s" | "s2c"): Buffer {
  return readFileSync(vectorPath("captures", `${name}.${dir}.bin`));
}

/**
 * Decodes a complete response. Our server appends one XSRV packet after it (the "ours" mark,
 * docs/protocol-extensions.md): anything after the response must be exactly that packet.
 */
export function decodeResponse(bytes: Uint8Array, version: ProtocolVersion): CompileResponse {
  return decodeResponseAndTrailer(bytes, version).response;
}

export function decodeResponseAndTrailer(
  bytes: Uint8Array,
  version: ProtocolVersion,
): { response: CompileResponse; trailer?: ServerTrailer } {
  const decoder = new ResponseDecoder(version, undefined, { allowTrailingData: "keep" });
  const events = decoder.push(bytes);
  decoder.finish();
  const end = events.find((e) => e.type === "end");
  if (end?.type !== "end") throw new Error("response incomplete");
  const rest = decoder.takeTrailing();
  if (rest.length === 0) return { response: end.response };
  const reader = new ExtensionPacketReader(["XSRV"]);
  let packet: ExtensionPacket | undefined;
  for (const r of rest) packet = reader.push(r) ?? packet;
  if (!packet || reader.rest().length > 0) throw new Error("bytes after the response are not exactly one XSRV packet");
  return { response: end.response, trailer: parseExtensionPayload("XSRV", packet.payload, serverTrailerSchema) };
}
