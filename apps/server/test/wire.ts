import { readFileSync } from "node:fs";
import {
  encodeRequest,
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

/** cc1plus evaluates this for about 6 s of CPU (the constexpr operation limit stops it then). */
const BURN = `constexpr unsigned long burn() {
  unsigned long s = 0;
  for (unsigned long i = 0; i < 200000; i++)
    for (unsigned long j = 0; j < 200000; j++) s += i ^ j;
  return s;
}
static_assert(burn() != 1, "");
`;

/** A protocol-1 request for a compile that holds its slot for a while (g++ on BURN). */
export function burnRequest(): Buffer {
  return Buffer.concat(
    encodeRequest({ version: 1, argv: ["g++", "-c", "burn.cc", "-o", "burn.o"], source: Buffer.from(BURN) }),
  );
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
