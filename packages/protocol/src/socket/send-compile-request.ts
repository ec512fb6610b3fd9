import { connect, Socket } from "node:net";
import { encodeRequest } from "../encode.js";
import { DistccConnectionError, type DistccProtocolError } from "../errors.js";
import type { DecoderLimits } from "../limits.js";
import type { CompileRequest, CompileResponse, Compression } from "../messages.js";
import { ResponseDecoder } from "../response-decoder.js";
import type { DistccExtensionError } from "../extensions/ext-errors.js";
import { encodeExtensionPacket, ExtensionPacketReader, parseExtensionPayload } from "../extensions/ext-packet.js";
import { serverTrailerSchema, type RequestExtension, type ServerTrailer } from "../extensions/ext-messages.js";
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
  /**
   * Called once the connection is made (at once for a connected socket): a caller that stops the
   * exchange early can tell "never connected" from "connected, then stopped".
   */
  onConnected?: () => void;
}

export interface SendCompileJobOptions extends SendCompileRequestOptions {
  /**
   * OUR extension (docs/protocol-extensions.md): an XREQ packet sent before DIST. Only for a host
   * known to be ours: a real distccd closes on it. Its `compression` overrides `compression`.
   */
  extension?: RequestExtension;
  /**
   * After the response, wait for our server's XSRV trailer or for EOF (a real distccd closes right
   * after its answer), at most `trailerWaitMs` (default 2000). Without it the connection is closed
   * as soon as the response is complete, as distcc's client does.
   */
  readTrailer?: boolean;
  trailerWaitMs?: number;
}

/** One job's exchange: the response and what was learned about the server. */
export interface CompileExchange {
  response: CompileResponse;
  /**
   * "ours": an XSRV trailer was read (`trailer`); "distccd": EOF right after the response, no
   * trailer; "unknown": not asked (readTrailer false), no EOF in time, or a malformed trailer
   * (`trailerError`).
   */
  server: "ours" | "distccd" | "unknown";
  trailer?: ServerTrailer;
  trailerError?: DistccExtensionError;
  /**
   * The server's own time for the job, ms: from the request's last byte leaving for the kernel to
   * the answer's first byte (its queue, the compile, its reply). Unlike the exchange's wall time it
   * leaves out how long this machine took to send and to read: on a saturated client that is most
   * of it. Undefined when the answer started before the request was out.
   */
  serverMs?: number;
}

const RESET_CODES = new Set(["ECONNRESET", "EPIPE"]);

/** A request's chunks are in memory already: up to this much is queued at once (see writeChunks). */
const REQUEST_QUEUE_LIMIT = 8 * 1024 * 1024;

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
  return (await sendCompileJob(target, req, opts)).response;
}

/**
 * sendCompileRequest with our extensions: an optional XREQ before the request, and the server's
 * XSRV trailer read after the response (bytes after the response are otherwise ignored, as
 * distcc's client ignores them). Errors as sendCompileRequest; a bad trailer never fails the job.
 */
export async function sendCompileJob(
  target: { host: string; port: number } | Socket,
  req: CompileRequest,
  opts: SendCompileJobOptions = {},
): Promise<CompileExchange> {
  const compression = opts.extension?.compression ?? opts.compression;
  const chunks = encodeRequest(req, { compression });
  if (opts.extension) chunks.unshift(encodeExtensionPacket("XREQ", opts.extension));
  const decoder = new ResponseDecoder(req.version, opts.limits, { compression, allowTrailingData: "keep" });
  const trailerReader = new ExtensionPacketReader(["XSRV"]);
  let response: CompileResponse | undefined;
  let trailerTimer: NodeJS.Timeout | undefined;
  if (opts.signal?.aborted) throw new DistccConnectionError("DISTCC_ERR_ABORTED", "aborted before connecting");
  const where = target instanceof Socket ? "the given socket" : `${target.host}:${target.port}`;
  if (target instanceof Socket && (target.destroyed || !target.writable)) {
    throw new DistccConnectionError("DISTCC_ERR_CLOSED", "the given socket is already closed");
  }
  const socket = target instanceof Socket ? target : connect({ host: target.host, port: target.port });
  const ioTimeoutMs = opts.ioTimeoutMs ?? 300_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 4_000;

  return new Promise<CompileExchange>((resolve, reject) => {
    let received = 0;
    let sentAt: number | undefined;
    let answeredAt: number | undefined;
    let connected = !socket.connecting;
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;

    const cleanup = (): void => {
      if (connectTimer) clearTimeout(connectTimer);
      if (trailerTimer) clearTimeout(trailerTimer);
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
    const succeed = (exchange: CompileExchange): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (sentAt !== undefined && answeredAt !== undefined && answeredAt >= sentAt)
        exchange.serverMs = answeredAt - sentAt;
      resolve(exchange);
    };
    /** The response is complete: done, or wait for the trailer / EOF. */
    const responded = (res: CompileResponse): void => {
      response = res;
      if (!opts.readTrailer) {
        succeed({ response: res, server: "unknown" });
        return;
      }
      trailerTimer = setTimeout(() => succeed({ response: res, server: "unknown" }), opts.trailerWaitMs ?? 2000);
      readTrailer(decoder.takeTrailing());
    };
    const readTrailer = (bytes: Uint8Array[]): void => {
      if (!response) return;
      try {
        for (const b of bytes) {
          const packet = trailerReader.push(b);
          if (packet) {
            succeed({
              response,
              server: "ours",
              trailer: parseExtensionPayload("XSRV", packet.payload, serverTrailerSchema),
            });
            return;
          }
        }
      } catch (err) {
        succeed({ response, server: "unknown", trailerError: err as DistccExtensionError });
      }
    };

    function onConnect(): void {
      connected = true;
      if (connectTimer) clearTimeout(connectTimer);
      socket.setTimeout(ioTimeoutMs);
      opts.onConnected?.();
    }
    function onData(chunk: Buffer): void {
      if (received === 0) answeredAt = performance.now();
      received += chunk.length;
      try {
        if (response) {
          readTrailer([chunk]);
          return;
        }
        for (const event of decoder.push(chunk)) {
          if (event.type === "end") responded(event.response);
        }
      } catch (err) {
        fail(err as DistccProtocolError);
      }
    }
    function onEnd(): void {
      if (response) {
        // EOF after the answer: a distccd (or a server of ours that sent no trailer, or a bad one).
        try {
          trailerReader.finish();
        } catch (err) {
          const e = err as DistccExtensionError;
          succeed(
            trailerReader.seen === 0
              ? { response, server: "distccd" }
              : { response, server: "unknown", trailerError: e },
          );
        }
        return;
      }
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
      if (response) {
        succeed({ response, server: "unknown" });
      } else if (!connected) {
        fail(
          new DistccConnectionError("DISTCC_ERR_CONNECT", `cannot connect to ${where}: ${err.message}`, { cause: err }),
        );
      } else if (received === 0 && err.code !== undefined && RESET_CODES.has(err.code)) {
        fail(
          new DistccConnectionError("DISTCC_ERR_NO_ANSWER", `${where} reset the connection without an answer`, {
            cause: err,
          }),
        );
      } else {
        fail(
          new DistccConnectionError("DISTCC_ERR_CLOSED", `connection to ${where} failed: ${err.message}`, {
            cause: err,
          }),
        );
      }
    }
    function onTimeout(): void {
      fail(new DistccConnectionError("DISTCC_ERR_TIMEOUT", `no data from ${where} for ${ioTimeoutMs} ms`));
    }
    function onClose(): void {
      if (response) {
        succeed({ response, server: "unknown" });
        return;
      }
      if (received === 0)
        fail(new DistccConnectionError("DISTCC_ERR_NO_ANSWER", `${where} closed the connection without an answer`));
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
      opts.onConnected?.();
    } else {
      socket.once("connect", onConnect);
      connectTimer = setTimeout(() => {
        fail(
          new DistccConnectionError(
            "DISTCC_ERR_CONNECT",
            `connecting to ${where} timed out after ${connectTimeoutMs} ms`,
          ),
        );
      }, connectTimeoutMs);
    }
    socket.setNoDelay(true);
    // A failed write is the socket's error: judged like one (a reset before any answer, ...); if the
    // socket's own 'error' event came first, the exchange is already settled and this does nothing.
    writeChunks(socket, chunks, () => (sentAt = performance.now()), REQUEST_QUEUE_LIMIT).catch((err: unknown) =>
      onError(err as NodeJS.ErrnoException),
    );
  });
}
