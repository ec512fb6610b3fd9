import { readFileSync } from "node:fs";
import { ResponseDecoder, type CompileResponse, type ProtocolVersion } from "@x/distcc-protocol";
import { vectorPath } from "@x/testkit";

/** A captured request or response. */
export function capture(name: string, dir: "c2s" | "s2c"): Buffer {
  return readFileSync(vectorPath("captures", `${name}.${dir}.bin`));
}

/** Decodes a complete response. */
export function decodeResponse(bytes: Uint8Array, version: ProtocolVersion): CompileResponse {
  const decoder = new ResponseDecoder(version);
  const events = decoder.push(bytes);
  decoder.finish();
  const end = events.find((e) => e.type === "end");
  if (!end || end.type !== "end") throw new Error("response incomplete");
  return end.response;
}
