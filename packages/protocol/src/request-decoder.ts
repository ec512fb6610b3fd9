import { DistccProtocolError } from "./errors.js";
import { resolveLimits, type DecoderLimits } from "./limits.js";
import type { CompileRequest, Compression, ProtocolVersion, PumpEntry } from "./messages.js";
import { checkLimit, decodeString, expectToken, TotalBudget } from "./parse-helpers.js";
import { decompressBody } from "./payload.js";
import { StepDriver, type Steps } from "./step-decoder.js";
import { HEADER_LENGTH } from "./tokens.js";

export type RequestEvent =
  | { type: "version"; version: ProtocolVersion }
  | { type: "cwd"; cwd: string }
  /** Emitted as soon as the last ARGV is complete, before DOTI/NFIL (a server scans argv first). */
  | { type: "argv"; argv: string[] }
  /** DOTI, decompressed. */
  | { type: "source"; data: Uint8Array }
  | { type: "file"; name: string; content: Uint8Array; compressed: Uint8Array }
  | { type: "link"; name: string; target: string }
  /** The request is complete; nothing may follow it. */
  | { type: "end"; request: CompileRequest };

export interface DecoderOptions {
  /** Body compression of versions 2/3: "lzo" (distcc, default) or "lz4" (our extension). */
  compression?: Compression;
  /**
   * Bytes after the end of the message are DISTCC_ERR_TRAILING_DATA by default. With true they
   * are dropped and counted in `trailingBytes` instead (distccd swallows them too). With "keep"
   * they are also kept for `takeTrailing()` (our client reads a server trailer this way).
   */
  allowTrailingData?: boolean | "keep";
}

const EMPTY: Uint8Array = new Uint8Array(0);

interface ParseContext {
  d: StepDriver<RequestEvent>;
  budget: TotalBudget;
  limits: DecoderLimits;
  compression: Compression;
  compressed: boolean;
}

// The helpers below are module-level generators on purpose: generator closures created inside
// another generator made V8 run the whole parse several times slower.

function* readString(
  ctx: ParseContext,
  what: string,
  token: "CDIR" | "ARGV" | "NAME" | "LINK",
  max: number,
  maxName: keyof DecoderLimits,
): Generator<number, string, Uint8Array> {
  ctx.d.expecting = `${what} (${token})`;
  const { value } = expectToken(yield HEADER_LENGTH, token);
  checkLimit(`${token} length`, value, max, maxName);
  ctx.budget.add(value, token);
  ctx.d.expecting = `the body of ${token}`;
  return decodeString(yield value);
}

/** Reads one body whose header was already parsed, decompressing it in v2/v3. */
function* readBody(
  ctx: ParseContext,
  token: string,
  length: number,
): Generator<number, { data: Uint8Array; wire: Uint8Array }, Uint8Array> {
  const { limits, budget, compressed } = ctx;
  checkLimit(`${token} length`, length, limits.maxPayload, "maxPayload");
  if (!compressed) checkLimit(`${token} length`, length, limits.maxDecompressed, "maxDecompressed");
  budget.add(compressed ? 0 : length, token);
  ctx.d.expecting = `the body of ${token}`;
  const wire: Uint8Array = yield length;
  if (!compressed || length === 0) return { data: wire, wire };
  const data = decompressBody(wire, ctx.compression, Math.min(limits.maxDecompressed, budget.left));
  budget.add(data.length, token);
  return { data, wire };
}

function* requestSteps(
  emit: (e: RequestEvent) => void,
  d: StepDriver<RequestEvent>,
  limits: DecoderLimits,
  compression: Compression,
): Steps {
  const budget = new TotalBudget(limits.maxTotal);

  d.expecting = "DIST";
  const dist = expectToken(yield HEADER_LENGTH, "DIST").value;
  if (dist > 3)
    throw new DistccProtocolError("DISTCC_ERR_BAD_VERSION", `can't handle requested protocol version ${dist}`);
  const version = dist as ProtocolVersion;
  emit({ type: "version", version });
  const request: CompileRequest = { version, argv: [] };
  const ctx: ParseContext = { d, budget, limits, compression, compressed: version >= 2 };

  if (version === 3) {
    request.cwd = yield* readString(ctx, "the client's directory", "CDIR", limits.maxNameLength, "maxNameLength");
    emit({ type: "cwd", cwd: request.cwd });
  }

  d.expecting = "ARGC";
  const argc = expectToken(yield HEADER_LENGTH, "ARGC").value;
  checkLimit("ARGC", argc, limits.maxArgs, "maxArgs");
  for (let i = 0; i < argc; i++) {
    request.argv.push(yield* readString(ctx, `argument ${i}`, "ARGV", limits.maxArgLength, "maxArgLength"));
  }
  emit({ type: "argv", argv: request.argv });

  if (version < 3) {
    d.expecting = "DOTI";
    const { value } = expectToken(yield HEADER_LENGTH, "DOTI");
    request.source = (yield* readBody(ctx, "DOTI", value)).data;
    emit({ type: "source", data: request.source });
  } else {
    d.expecting = "NFIL";
    const nfil = expectToken(yield HEADER_LENGTH, "NFIL").value;
    checkLimit("NFIL", nfil, limits.maxFiles, "maxFiles");
    const files: PumpEntry[] = [];
    request.files = files;
    for (let i = 0; i < nfil; i++) {
      const name = yield* readString(ctx, `the name of entry ${i}`, "NAME", limits.maxNameLength, "maxNameLength");
      d.expecting = `FILE or LINK of ${name}`;
      const h = expectToken(yield HEADER_LENGTH, "FILE", "LINK");
      if (h.token === "LINK") {
        checkLimit("LINK length", h.value, limits.maxNameLength, "maxNameLength");
        budget.add(h.value, "LINK");
        d.expecting = "the body of LINK";
        const target = decodeString(yield h.value);
        files.push({ kind: "link", name, target });
        emit({ type: "link", name, target });
      } else {
        const { data, wire } = yield* readBody(ctx, "FILE", h.value);
        const content = h.value === 0 ? EMPTY : data;
        files.push({ kind: "file", name, content, compressed: wire });
        emit({ type: "file", name, content, compressed: wire });
      }
    }
  }
  d.expecting = "nothing";
  emit({ type: "end", request });
}

/**
 * Push decoder of a compile request (client -> server). Feed chunks of any size; each call returns
 * the parts completed by that chunk. Throws only DistccProtocolError, and after the first error
 * every further call throws it again. Emitted byte arrays may be views of the pushed chunks.
 */
export class RequestDecoder {
  private readonly driver: StepDriver<RequestEvent>;

  constructor(limits?: Partial<DecoderLimits>, options: DecoderOptions = {}) {
    const resolved = resolveLimits(limits);
    const compression = options.compression ?? "lzo";
    this.driver = new StepDriver<RequestEvent>(
      (emit, d) => requestSteps(emit, d, resolved, compression),
      options.allowTrailingData,
    );
  }

  /** Bytes dropped after the end of the request (with allowTrailingData). */
  get trailingBytes(): number {
    return this.driver.trailingBytes;
  }

  /** True once the whole request was decoded. */
  get done(): boolean {
    return this.driver.done;
  }

  /** What the decoder waits for now, e.g. "DOTI" or "NFIL" (the header of the body), for deadlines and messages. */
  get expecting(): string {
    return this.driver.expecting;
  }

  push(chunk: Uint8Array): RequestEvent[] {
    return this.driver.push(chunk);
  }

  /** Call at EOF: throws DISTCC_ERR_TRUNCATED unless the request is complete. */
  finish(): void {
    this.driver.finish();
  }
}
