import { EXIT_BUSY, EXIT_DISTCC_FAILED, EXIT_IO_ERROR, EXIT_PROTOCOL_ERROR, EXIT_TRUNCATED } from "@x/distcc-protocol";
import type { Duplex } from "node:stream";
import {
  capabilitiesQuerySchema,
  type DistccExtensionError,
  type DistccProtocolError,
  ExtensionPacketReader,
  extensionTokenAt,
  parseExtensionPayload,
  RequestDecoder,
  requestExtensionSchema,
  type CompileRequest,
  type DecoderLimits,
  type ProtocolVersion,
  type RequestEvent,
  type RequestExtension,
  type WireMissingToolchain,
} from "@x/distcc-protocol";
import type { JobResult } from "./job-result.js";
import type { BudgetShare } from "./memory-budget.js";

/** The verdict of the checks run on argv before the rest of the request is read. */
export type ArgvVerdict =
  | { kind: "accept" }
  /** Close at once without answering (distccd's treatment; the client falls back). */
  | { kind: "drop"; result: JobResult; reason: string }
  /** Read the rest of the request, then answer with a synthetic failure carrying `reason` in SERR. */
  | { kind: "refuse"; reason: string; exitCode: number; missing?: WireMissingToolchain };

/**
 * Extension packets are small: a request prefix bigger than this is refused. An XREQ with header
 * cache references (up to MAX_HEADER_REFS of about 75 bytes each) is the biggest.
 */
const MAX_REQUEST_EXTENSION = 256 * 1024;

export type ReadOutcome =
  /** `ext`: the XREQ our client sent before the request (docs/protocol-extensions.md). */
  | { kind: "complete"; request: CompileRequest; verdict: ArgvVerdict; ext?: RequestExtension }
  /** An XCAP query ("which toolchains do you have") instead of a request. */
  | { kind: "capabilities" }
  | { kind: "dropped"; result: JobResult; reason: string; ret: number; version?: ProtocolVersion };

export interface ReadRequestOptions {
  limits?: Partial<DecoderLimits>;
  /** Drop a client that sends nothing for this long. */
  idleTimeoutMs: number;
  /** Drop a client whose whole request takes longer than this. */
  totalTimeoutMs: number;
  /**
   * Drop a client whose command line (up to ARGV) is not complete after this long. distcc sends it
   * at once, before it waits for its preprocessor; a connection that stays silent only holds a
   * place (undefined = no such deadline).
   */
  headerTimeoutMs?: number;
  /**
   * Drop a client whose body header (DOTI, NFIL) is not complete this long after its command line
   * (undefined = no such deadline). distcc sends its command line, then runs its preprocessor, then
   * the body at once: the pause is the preprocessing, seconds; issue 14, H5: connections that sent
   * their command line and then a byte of DOTI's header every 20 s were held for the whole
   * --request-timeout.
   */
  bodyStartTimeoutMs?: number;
  /** Called once the body header is complete (the connection costs the server more from here). */
  onBodyStart?: () => void;
  /** Checks argv as soon as it is complete (before DOTI / NFIL). */
  checkArgv: (
    argv: string[],
    version: ProtocolVersion,
    cwd: string | undefined,
    ext: RequestExtension | undefined,
  ) => ArgvVerdict;
  /** Counts request bytes. */
  onBytes: (n: number) => void;
  /** The server-wide memory this request may hold (wire bytes and decompressed bodies). */
  budget: BudgetShare;
  /**
   * Once the command line is in and the rest has started, every window of `windowMs` must bring at
   * least `bytes` until the request is complete (undefined = no such rule). The idle deadline alone
   * let a client that sent 120 MB and then a byte every 5 s hold its memory for minutes.
   */
  minBodyRate?: { bytes: number; windowMs: number };
}

/**
 * Memory a body holds beyond its wire bytes (already counted chunk by chunk): its decompressed
 * copy. Issue 14, H6: a protocol-1 body, which is its wire bytes, was counted twice, so two
 * 100 MiB requests went over a 512 MiB share.
 */
function decompressedBytes(
  event: { type: "source"; data: Uint8Array } | { type: "file"; content: Uint8Array; compressed: Uint8Array },
  version: ProtocolVersion,
): number {
  if (event.type === "source") return version === 1 ? 0 : event.data.length;
  return event.content === event.compressed ? 0 : event.content.length;
}

/**
 * Reads one request from a connection with deadlines, feeding the bounded push decoder. After the
 * request is complete the data listener stays attached, so EOF (the client going away) is still
 * seen; any bytes after the request are read and ignored.
 *
 * Our client may put one extension packet first (XREQ before DIST, or XCAP alone); the first 4
 * bytes tell (DIST is the only first token of a distcc request). A bad one is dropped like any
 * bad request.
 */
export function readRequest(conn: Duplex, opts: ReadRequestOptions): Promise<ReadOutcome> {
  return new Promise((resolve) => {
    let decoder: RequestDecoder | undefined;
    /** undefined: the first 4 bytes are not here yet; null: a plain distcc request. */
    let prefix: ExtensionPacketReader | null | undefined;
    let head: Buffer = Buffer.alloc(0);
    let ext: RequestExtension | undefined;
    let version: ProtocolVersion | undefined;
    let cwd: string | undefined;
    let verdict: ArgvVerdict = { kind: "accept" };
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    let commandLineDone = false;
    let bodyBytes = 0;
    let rate: NodeJS.Timeout | undefined;
    let bodyStarted = false;
    let bodyStart: NodeJS.Timeout | undefined;

    const settle = (outcome: ReadOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      clearTimeout(header);
      clearTimeout(bodyStart);
      clearInterval(rate);
      // A complete request waits for its slot; a dropped one is given back by the caller.
      opts.budget.evictable(undefined);
      conn.off("end", onEnd);
      conn.off("error", onError);
      conn.off("close", onClose);
      resolve(outcome);
    };
    const drop = (result: JobResult, reason: string, ret: number): void =>
      settle({ kind: "dropped", result, reason, ret, ...(version !== undefined ? { version } : {}) });
    const armIdle = (): void => {
      // One timer per request, restarted by each chunk (refresh: no new timer per chunk).
      if (idle) idle.refresh();
      else
        idle = setTimeout(
          () => drop("OTHER", `client sent nothing for ${opts.idleTimeoutMs} ms`, EXIT_IO_ERROR),
          opts.idleTimeoutMs,
        );
    };
    const total = setTimeout(
      () => drop("OTHER", `request not complete after ${opts.totalTimeoutMs} ms`, EXIT_IO_ERROR),
      opts.totalTimeoutMs,
    );
    let header: NodeJS.Timeout | undefined =
      opts.headerTimeoutMs !== undefined
        ? setTimeout(
            () =>
              drop("OTHER", `client sent no complete command line within ${opts.headerTimeoutMs} ms`, EXIT_IO_ERROR),
            opts.headerTimeoutMs,
          )
        : undefined;

    /** Reads the extension packet, if any; returns the bytes for the request decoder. */
    const readPrefix = (chunk: Buffer): Buffer | undefined => {
      if (prefix === undefined) {
        head = head.length ? Buffer.concat([head, chunk]) : chunk;
        const token = extensionTokenAt(head);
        if (token === undefined) return undefined;
        prefix =
          token === "XREQ" || token === "XCAP"
            ? new ExtensionPacketReader(["XREQ", "XCAP"], MAX_REQUEST_EXTENSION)
            : null;
        chunk = head;
        head = Buffer.alloc(0);
      }
      if (prefix === null) return chunk;
      const packet = prefix.push(chunk);
      if (!packet) return undefined;
      if (packet.token === "XCAP") {
        parseExtensionPayload("XCAP", packet.payload, capabilitiesQuerySchema);
        settle({ kind: "capabilities" });
        return undefined;
      }
      ext = parseExtensionPayload("XREQ", packet.payload, requestExtensionSchema);
      const rest = Buffer.from(prefix.rest());
      prefix = null;
      return rest;
    };

    const watchRate = (): void => {
      const min = opts.minBodyRate;
      if (!min || rate) return;
      rate = setInterval(() => {
        if (bodyBytes < min.bytes) {
          drop(
            "OTHER",
            `client sent ${bodyBytes} bytes in ${min.windowMs} ms while sending its request, under the minimum rate of ${min.bytes} bytes per ${min.windowMs} ms (--min-request-rate)`,
            EXIT_IO_ERROR,
          );
        }
        bodyBytes = 0;
      }, min.windowMs);
    };

    const markBodyStarted = (): void => {
      if (bodyStarted) return;
      bodyStarted = true;
      clearTimeout(bodyStart);
      opts.onBodyStart?.();
    };

    const onData = (chunk: Buffer): void => {
      opts.onBytes(chunk.length);
      if (settled || decoder?.done) return; // after the request: ignored (spec 1: nothing may follow)
      armIdle();
      opts.budget.touch();
      if (commandLineDone) {
        bodyBytes += chunk.length;
        watchRate();
      }
      if (!opts.budget.take(chunk.length)) {
        drop("REJ_OVERLOAD", opts.budget.refusal, EXIT_BUSY);
        return;
      }
      if (!decoder) {
        let rest: Buffer | undefined;
        try {
          rest = readPrefix(chunk);
        } catch (err) {
          const e = err as DistccExtensionError;
          drop("REJ_BAD_REQ", `bad extension packet: ${e.code}: ${e.message}`, EXIT_PROTOCOL_ERROR);
          return;
        }
        if (rest === undefined) return;
        decoder = new RequestDecoder(opts.limits, ext ? { compression: ext.compression } : {});
        chunk = rest;
        if (chunk.length === 0) return;
      }
      let events: RequestEvent[];
      try {
        events = decoder.push(chunk);
      } catch (err) {
        const e = err as DistccProtocolError;
        const bad =
          e.code === "DISTCC_ERR_BAD_TOKEN" || e.code === "DISTCC_ERR_BAD_HEX" || e.code === "DISTCC_ERR_BAD_VERSION";
        drop(bad ? "REJ_BAD_REQ" : "OTHER", `${e.code ?? "error"}: ${e.message}`, EXIT_PROTOCOL_ERROR);
        return;
      }
      for (const event of events) {
        if (event.type === "version") {
          version = event.version;
        } else if (
          (event.type === "source" || event.type === "file") &&
          !opts.budget.take(decompressedBytes(event, version ?? 1))
        ) {
          drop("REJ_OVERLOAD", opts.budget.refusal, EXIT_BUSY);
          return;
        } else if (event.type === "cwd") {
          cwd = event.cwd;
        } else if (event.type === "argv") {
          clearTimeout(header);
          header = undefined;
          // The body's rate counts from the next chunk: distcc sends its command line, then runs
          // its preprocessor (any time up to the idle deadline), then sends the body at once.
          commandLineDone = true;
          if (opts.bodyStartTimeoutMs !== undefined) {
            const ms = opts.bodyStartTimeoutMs;
            bodyStart = setTimeout(
              () =>
                drop(
                  "OTHER",
                  `client sent no complete ${version === 3 ? "NFIL" : "DOTI"} header within ${ms} ms of its command line`,
                  EXIT_IO_ERROR,
                ),
              ms,
            );
          }
          verdict = opts.checkArgv(event.argv, version ?? 1, cwd, ext);
          if (verdict.kind === "drop") {
            drop(verdict.result, verdict.reason, EXIT_DISTCC_FAILED);
            return;
          }
        } else if (event.type === "end") {
          markBodyStarted();
          settle({ kind: "complete", request: event.request, verdict, ...(ext ? { ext } : {}) });
          return;
        }
      }
      if (commandLineDone && decoder.expecting !== "DOTI" && decoder.expecting !== "NFIL") markBodyStarted();
    };
    const onEnd = (): void => {
      if (settled) return;
      const incomplete = (where: string): void =>
        drop("OTHER", `client closed the connection before the request was complete (${where})`, EXIT_TRUNCATED);
      if (!decoder) {
        incomplete("in the extension packet");
        return;
      }
      try {
        decoder.finish();
      } catch (err) {
        incomplete((err as Error).message);
      }
    };
    const onError = (err: Error): void =>
      drop("OTHER", `connection error while reading: ${err.message}`, EXIT_IO_ERROR);
    const onClose = (): void => drop("OTHER", "connection closed while reading the request", EXIT_IO_ERROR);

    // Until it is complete, this request may be dropped to make room for one that is arriving.
    opts.budget.evictable((reason) => drop("REJ_OVERLOAD", reason, EXIT_BUSY));
    conn.on("data", onData);
    conn.on("end", onEnd);
    conn.on("error", onError);
    conn.on("close", onClose);
    armIdle();
  });
}
