import type { Socket } from "node:net";
import { DistccConnectionError, DistccProtocolError } from "../errors.js";
import type { DecoderLimits } from "../limits.js";
import type { CompileRequest, Compression, ProtocolVersion } from "../messages.js";
import { RequestDecoder, type RequestEvent } from "../request-decoder.js";

export interface ReadCompileRequestOptions {
  limits?: Partial<DecoderLimits>;
  /** Idle time before DISTCC_ERR_TIMEOUT. Default 300000. */
  ioTimeoutMs?: number;
  /**
   * Called as soon as the argv is complete, before DOTI/NFIL is read (distccd scans the
   * arguments there). Reading waits for it; if it throws or rejects, so does readCompileRequest.
   */
  onArgv?: (argv: string[], version: ProtocolVersion) => void | Promise<void>;
  /** Body compression for versions 2/3 ("lz4" only when both ends are ours). Default "lzo". */
  compression?: Compression;
  /**
   * Request bytes already read from the socket (e.g. a server that peeked at the first bytes to
   * recognise a peer); they are decoded before anything else.
   */
  initialData?: Uint8Array;
}

/**
 * Server side: reads one request from a connected socket. On success the socket is left
 * paused with our listeners removed (the caller may resume it to notice a client that goes away
 * while compiling). On failure the socket is left as it is: closing it (without an answer, as
 * distccd does) is the caller's call. Either way a no-op 'error' listener stays on the socket, so
 * a late reset from the client can never crash the process. Rejects with DistccProtocolError (including
 * DISTCC_ERR_TRUNCATED on EOF mid-request), DistccConnectionError (DISTCC_ERR_TIMEOUT,
 * DISTCC_ERR_CLOSED), or whatever onArgv threw.
 */
export function readCompileRequest(socket: Socket, opts: ReadCompileRequestOptions = {}): Promise<CompileRequest> {
  const decoder = new RequestDecoder(opts.limits, { compression: opts.compression });
  const ioTimeoutMs = opts.ioTimeoutMs ?? 300_000;
  return new Promise<CompileRequest>((resolve, reject) => {
    let settled = false;
    let version: ProtocolVersion = 1;
    // Events not handled yet because onArgv is still running.
    let backlog: RequestEvent[] = [];
    let waiting = false;
    let endSeen = false;
    let closeSeen = false;

    const cleanup = (): void => {
      socket.pause();
      socket.setTimeout(0);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onError);
      socket.off("timeout", onTimeout);
      socket.off("close", onClose);
      socket.on("error", ignore);
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };

    const drain = (): void => {
      while (!settled && !waiting && backlog.length > 0) {
        const event = backlog.shift()!;
        if (event.type === "version") version = event.version;
        else if (event.type === "argv" && opts.onArgv) {
          let result: void | Promise<void>;
          try {
            result = opts.onArgv(event.argv, version);
          } catch (err) {
            fail(err);
            return;
          }
          if (result && typeof (result as Promise<void>).then === "function") {
            waiting = true;
            socket.pause();
            (result as Promise<void>).then(
              () => {
                waiting = false;
                if (settled) return;
                drain();
                if (!settled) {
                  if (endSeen || closeSeen) onEnd();
                  else socket.resume();
                }
              },
              (err: unknown) => fail(err),
            );
            return;
          }
        } else if (event.type === "end") {
          settled = true;
          cleanup();
          resolve(event.request);
          return;
        }
      }
    };

    function onData(chunk: Uint8Array): void {
      try {
        backlog = backlog.concat(decoder.push(chunk));
      } catch (err) {
        fail(err as DistccProtocolError);
        return;
      }
      drain();
    }
    function onEnd(): void {
      endSeen = true;
      if (waiting || settled) return;
      try {
        decoder.finish();
      } catch (err) {
        fail(err);
      }
    }
    function onError(err: Error): void {
      fail(new DistccConnectionError("DISTCC_ERR_CLOSED", `client connection failed: ${err.message}`, { cause: err }));
    }
    function onClose(): void {
      closeSeen = true;
      if (!waiting)
        fail(new DistccProtocolError("DISTCC_ERR_TRUNCATED", "the client closed the connection mid-request"));
    }
    function onTimeout(): void {
      fail(new DistccConnectionError("DISTCC_ERR_TIMEOUT", `no data from the client for ${ioTimeoutMs} ms`));
    }

    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("timeout", onTimeout);
    socket.on("close", onClose);
    socket.setTimeout(ioTimeoutMs);
    if (opts.initialData && opts.initialData.length > 0) onData(opts.initialData);
    if (socket.readableEnded || socket.destroyed) {
      // The stream already ended before we were called: what we have is all there is.
      endSeen = true;
      closeSeen = socket.destroyed;
      if (!settled && !waiting) onEnd();
      return;
    }
    if (!settled && !waiting) socket.resume();
  });
}

function ignore(): void {}
