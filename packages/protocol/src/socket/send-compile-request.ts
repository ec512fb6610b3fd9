import { connect, Socket } from "node:net";
import { encodeRequest } from "../encode.js";
import { DistccConnectionError, DistccProtocolError } from "../errors.js";
import type { DecoderLimits } from "../limits.js";
import type { CompileRequest, CompileResponse, Compression } from "../messages.js";
import { ResponseDecoder } from "../response-decoder.js";
import { writeChunks } from "./write-chunks.js";

export interface SendCompileRequestOptions {
  /** Idle time (no byte in either direction) before DISTCC_ERR_TIMEOUT. Default 300000, like DISTCC_IO_TIMEOUT. */
  ioTimeoutMs?: number;
  /** Time to connect before DISTCC_ERR_CONNECT. Default 4000, like distcc. */
  connectTimeoutMs?: number;
  limits?: Partial<DecoderLimits>;
  signal?: AbortSignal;
  /** Body compression for versions 2/3 ("lz4" only when both ends are ours). Default "lzo". */
  compression?: Compression;
}

const RESET_CODES = new Set(["ECONNRESET", "EPIPE"]);

/**
 * Runs one job: connects (or uses the given socket), writes the request, reads the whole
 * response, then closes the connection. It never half-closes before the response is read
 * (distccd would kill the compile, spec 1).
 *
 * Rejects with DistccConnectionError (DISTCC_ERR_CONNECT, DISTCC_ERR_TIMEOUT, DISTCC_ERR_NO_ANSWER
 * when the server closed or reset without sending a byte, which is how distccd refuses anything;
 * DISTCC_ERR_CLOSED when the connection broke mid-response; DISTCC_ERR_ABORTED) or
 * DistccProtocolError (a bad or truncated response).
 */
export async function sendCompileRequest(
  target: { host: string; port: number } | Socket,
  req: CompileRequest,
  opts: SendCompileRequestOptions = {},
): Promise<CompileResponse> {
  const chunks = encodeRequest(req, { compression: opts.compression });
  const decoder = new ResponseDecoder(req.version, opts.limits, { compression: opts.compression });
  if (opts.signal?.aborted) throw new DistccConnectionError("DISTCC_ERR_ABORTED", "aborted before connecting");
  const where = target instanceof Socket ? "the given socket" : `${target.host}:${target.port}`;
  if (target instanceof Socket && (target.destroyed || !target.writable)) {
    throw new DistccConnectionError("DISTCC_ERR_CLOSED", "the given socket is already closed");
  }
  const socket = target instanceof Socket ? target : connect({ host: target.host, port: target.port });
  const ioTimeoutMs = opts.ioTimeoutMs ?? 300_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 4_000;

  return new Promise<CompileResponse>((resolve, reject) => {
    let received = 0;
    let connected = !socket.connecting;
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;

    const cleanup = (): void => {
      if (connectTimer) clearTimeout(connectTimer);
      socket.setTimeout(0);
      socket.off("connect", onConnect);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
      socket.off("timeout", onTimeout);
      socket.off("close", onClose);
      opts.signal?.removeEventListener("abort", onAbort);
      // Keep a listener so a late error on the destroyed socket is not an uncaught exception.
      socket.on("error", () => {});
      socket.destroy();
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };
    const succeed = (res: CompileResponse): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(res);
    };

    function onConnect(): void {
      connected = true;
      if (connectTimer) clearTimeout(connectTimer);
      socket.setTimeout(ioTimeoutMs);
    }
    function onData(chunk: Buffer): void {
      received += chunk.length;
      try {
        for (const event of decoder.push(chunk)) {
          if (event.type === "end") succeed(event.response);
        }
      } catch (err) {
        fail(err as DistccProtocolError);
      }
    }
    function onEnd(): void {
      if (received === 0) {
        fail(new DistccConnectionError("DISTCC_ERR_NO_ANSWER", `${where} closed the connection without an answer`));
        return;
      }
      try {
        decoder.finish();
      } catch (err) {
        fail(err as DistccProtocolError);
      }
    }
    function onError(err: NodeJS.ErrnoException): void {
      if (!connected) {
        fail(new DistccConnectionError("DISTCC_ERR_CONNECT", `cannot connect to ${where}: ${err.message}`, { cause: err }));
      } else if (received === 0 && err.code !== undefined && RESET_CODES.has(err.code)) {
        fail(new DistccConnectionError("DISTCC_ERR_NO_ANSWER", `${where} reset the connection without an answer`, { cause: err }));
      } else {
        fail(new DistccConnectionError("DISTCC_ERR_CLOSED", `connection to ${where} failed: ${err.message}`, { cause: err }));
      }
    }
    function onTimeout(): void {
      fail(new DistccConnectionError("DISTCC_ERR_TIMEOUT", `no data from ${where} for ${ioTimeoutMs} ms`));
    }
    function onClose(): void {
      if (received === 0) fail(new DistccConnectionError("DISTCC_ERR_NO_ANSWER", `${where} closed the connection without an answer`));
      else fail(new DistccConnectionError("DISTCC_ERR_CLOSED", `${where} closed the connection mid-response`));
    }
    function onAbort(): void {
      fail(new DistccConnectionError("DISTCC_ERR_ABORTED", "aborted", { cause: opts.signal?.reason }));
    }

    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("timeout", onTimeout);
    socket.on("close", onClose);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (connected) {
      socket.setTimeout(ioTimeoutMs);
    } else {
      socket.once("connect", onConnect);
      connectTimer = setTimeout(() => {
        fail(new DistccConnectionError("DISTCC_ERR_CONNECT", `connecting to ${where} timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
    }
    socket.setNoDelay(true);
    writeChunks(socket, chunks).catch(() => {
      // The socket's own 'error'/'close' events report why; nothing to add here.
    });
  });
}
