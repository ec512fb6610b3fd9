import type { z } from "zod";
import { ByteQueue } from "../byte-queue.js";
import { DistccExtensionError } from "./ext-errors.js";

/**
 * Extension packets are framed like distcc's own: 4 ASCII letters, 8 lower-case hex digits of
 * length, then that many bytes of UTF-8 JSON. None of the names is a distcc 3.4 token, so a decoder
 * of ours can tell them apart from the first 4 bytes, and a real distccd (which only ever receives
 * them if someone sends them to it by mistake) refuses them as a bad token, as any garbage.
 */
export type ExtensionToken = "XREQ" | "XSRV" | "XCAP";
export const EXTENSION_TOKENS: readonly ExtensionToken[] = ["XREQ", "XSRV", "XCAP"];

/** The biggest extension payload either end accepts (a capabilities list of 256 toolchains fits). */
export const EXT_MAX_PAYLOAD = 256 * 1024;
const HEADER = 12;

export interface ExtensionPacket {
  token: ExtensionToken;
  payload: Uint8Array;
}

/** The packet bytes for `token` with `message` as JSON. */
export function encodeExtensionPacket(token: ExtensionToken, message: unknown): Uint8Array {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  if (body.length > EXT_MAX_PAYLOAD) throw new RangeError(`${token}: ${body.length} bytes is over ${EXT_MAX_PAYLOAD}`);
  const out = Buffer.alloc(HEADER + body.length);
  out.write(token, 0, "latin1");
  out.write(body.length.toString(16).padStart(8, "0"), 4, "latin1");
  body.copy(out, HEADER);
  return out;
}

/** Is this the start (4 bytes at least) of an extension packet? Undefined when fewer than 4 bytes. */
export function extensionTokenAt(bytes: Uint8Array): ExtensionToken | null | undefined {
  if (bytes.length < 4) return undefined;
  const name = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  return (EXTENSION_TOKENS as readonly string[]).includes(name) ? (name as ExtensionToken) : null;
}

/** Parses a payload as JSON and checks it against `schema`; anything wrong is DISTCC_ERR_EXT_BAD_PAYLOAD. */
export function parseExtensionPayload<T>(token: ExtensionToken, payload: Uint8Array, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch (err) {
    throw new DistccExtensionError(
      "DISTCC_ERR_EXT_BAD_PAYLOAD",
      `${token}: payload is not UTF-8 JSON (${(err as Error).message})`,
    );
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    const where = first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid";
    throw new DistccExtensionError("DISTCC_ERR_EXT_BAD_PAYLOAD", `${token}: ${where}`);
  }
  return r.data;
}

/**
 * Push reader of ONE extension packet among `accepted` tokens, bounded by `maxPayload`. Bytes after
 * the packet are kept (`rest()`): on the server they are the standard request that follows XREQ.
 */
export class ExtensionPacketReader {
  private readonly queue = new ByteQueue();
  private header: { token: ExtensionToken; length: number } | undefined;
  private packet: ExtensionPacket | undefined;

  constructor(
    private readonly accepted: readonly ExtensionToken[],
    private readonly maxPayload = EXT_MAX_PAYLOAD,
  ) {}

  /** Bytes ever pushed (0: the peer sent nothing after what came before). */
  seen = 0;

  /** Bytes buffered so far (to charge against a memory budget). */
  get buffered(): number {
    return this.queue.length;
  }

  /** Feeds bytes; returns the packet once complete (then keeps returning it). */
  push(chunk: Uint8Array): ExtensionPacket | undefined {
    this.seen += chunk.length;
    if (chunk.length > 0) this.queue.push(chunk);
    if (this.packet) return this.packet;
    if (!this.header) {
      if (this.queue.length < HEADER) return undefined;
      const h = this.queue.take(HEADER);
      const token = extensionTokenAt(h);
      if (!token || !this.accepted.includes(token)) {
        throw new DistccExtensionError(
          "DISTCC_ERR_EXT_BAD_HEADER",
          `expected ${this.accepted.join(" or ")}, got "${printable(h.subarray(0, 4))}"`,
        );
      }
      const hex = String.fromCharCode(...h.subarray(4, 12));
      if (!/^[0-9a-fA-F]{8}$/.test(hex))
        throw new DistccExtensionError(
          "DISTCC_ERR_EXT_BAD_HEADER",
          `${token}: length "${printable(h.subarray(4, 12))}" is not 8 hex digits`,
        );
      const length = Number.parseInt(hex, 16);
      if (length > this.maxPayload)
        throw new DistccExtensionError(
          "DISTCC_ERR_EXT_TOO_BIG",
          `${token}: ${length} bytes is over the limit of ${this.maxPayload}`,
        );
      this.header = { token, length };
    }
    if (this.queue.length < this.header.length) return undefined;
    this.packet = { token: this.header.token, payload: this.queue.take(this.header.length) };
    return this.packet;
  }

  /** Call at EOF: DISTCC_ERR_EXT_TRUNCATED unless a packet is complete. */
  finish(): ExtensionPacket {
    if (this.packet) return this.packet;
    throw new DistccExtensionError(
      "DISTCC_ERR_EXT_TRUNCATED",
      `the stream ended inside ${this.header ? `a ${this.header.token} packet` : "an extension header"}`,
    );
  }

  /** Bytes received after the packet (removed from the reader). */
  rest(): Uint8Array {
    return this.queue.take(this.queue.length);
  }
}

function printable(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return s;
}
