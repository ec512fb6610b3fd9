// Decodes whole byte arrays with the push decoders, with any chunking, for tests.
import {
  RequestDecoder,
  ResponseDecoder,
  type CompileRequest,
  type CompileResponse,
  type DecoderLimits,
  type ProtocolVersion,
  type RequestEvent,
  type ResponseEvent,
} from "../src/index.js";

export function decodeRequest(
  bytes: Uint8Array,
  cuts: number[] = [],
  limits?: Partial<DecoderLimits>,
): { request: CompileRequest; events: RequestEvent[] } {
  const d = new RequestDecoder(limits);
  const events: RequestEvent[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...d.push(bytes.subarray(at, cut)));
    at = cut;
  }
  d.finish();
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error("no end event");
  return { request: end.request, events };
}

export function decodeResponse(
  bytes: Uint8Array,
  version: ProtocolVersion,
  cuts: number[] = [],
  limits?: Partial<DecoderLimits>,
): { response: CompileResponse; events: ResponseEvent[] } {
  const d = new ResponseDecoder(version, limits);
  const events: ResponseEvent[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...d.push(bytes.subarray(at, cut)));
    at = cut;
  }
  d.finish();
  const end = events.at(-1);
  if (end?.type !== "end") throw new Error("no end event");
  return { response: end.response, events };
}

/** The DIST/DONE version in the first header (test vectors only). */
export function versionOf(bytes: Uint8Array): ProtocolVersion {
  return parseInt(new TextDecoder().decode(bytes.subarray(4, 12)), 16) as ProtocolVersion;
}
