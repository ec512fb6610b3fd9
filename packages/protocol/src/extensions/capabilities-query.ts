import { connect } from "node:net";
import { DistccConnectionError } from "../errors.js";
import type { DistccExtensionError } from "./ext-errors.js";
import { capabilitiesSchema, type Capabilities } from "./ext-messages.js";
import { encodeExtensionPacket, ExtensionPacketReader, parseExtensionPayload } from "./ext-packet.js";

export interface QueryCapabilitiesOptions {
  /** Whole exchange deadline, ms (default 5000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Asks a server of ours which toolchains it has (XCAP, docs/protocol-extensions.md). Only for a
 * host known to be ours, or from `doctor`: a real distccd reads "XCAP" as a bad token and closes,
 * which rejects with DistccConnectionError DISTCC_ERR_NO_ANSWER. A malformed answer rejects with
 * DistccExtensionError.
 */
export function queryCapabilities(
  target: { host: string; port: number },
  opts: QueryCapabilitiesOptions = {},
): Promise<Capabilities> {
  const where = `${target.host}:${target.port}`;
  const reader = new ExtensionPacketReader(["XCAP"]);
  return new Promise<Capabilities>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    let connected = false;
    let settled = false;
    const done = (err: Error | undefined, caps?: Capabilities): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      socket.on("error", () => {});
      socket.destroy();
      if (err) reject(err);
      else resolve(caps as Capabilities);
    };
    const onAbort = (): void => done(new DistccConnectionError("DISTCC_ERR_ABORTED", "aborted"));
    const timer = setTimeout(
      () =>
        done(
          new DistccConnectionError(
            "DISTCC_ERR_TIMEOUT",
            `no capabilities from ${where} in ${opts.timeoutMs ?? 5000} ms`,
          ),
        ),
      opts.timeoutMs ?? 5000,
    );
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    socket.on("connect", () => {
      connected = true;
      socket.write(encodeExtensionPacket("XCAP", { v: 1 }));
    });
    socket.on("data", (chunk: Buffer) => {
      try {
        const packet = reader.push(chunk);
        if (packet) done(undefined, parseExtensionPayload("XCAP", packet.payload, capabilitiesSchema));
      } catch (err) {
        done(err as DistccExtensionError);
      }
    });
    const onGone = (): void => {
      if (reader.seen === 0)
        done(
          new DistccConnectionError(
            "DISTCC_ERR_NO_ANSWER",
            `${where} closed the connection without an answer (not a server of ours)`,
          ),
        );
      else {
        try {
          reader.finish();
        } catch (err) {
          done(err as DistccExtensionError);
        }
      }
    };
    socket.on("end", onGone);
    socket.on("close", onGone);
    socket.on("error", (err) => {
      if (!connected)
        done(
          new DistccConnectionError("DISTCC_ERR_CONNECT", `cannot connect to ${where}: ${err.message}`, { cause: err }),
        );
      else onGone();
    });
  });
}
