import { DistccProtocolError } from "./errors.js";
import { resolveLimits, type DecoderLimits } from "./limits.js";
import type { CompileResponse, Compression, ProtocolVersion } from "./messages.js";
import { checkLimit, expectToken, TotalBudget } from "./parse-helpers.js";
import { decompressBody } from "./payload.js";
import type { DecoderOptions } from "./request-decoder.js";
import { StepDriver, type Steps } from "./step-decoder.js";
import { HEADER_LENGTH, type TokenName } from "./tokens.js";

export type ResponseEvent =
  | { type: "done"; version: ProtocolVersion }
  | { type: "status"; status: number }
  | { type: "stderr"; data: Uint8Array }
  | { type: "stdout"; data: Uint8Array }
  | { type: "object"; data: Uint8Array }
  | { type: "deps"; data: Uint8Array }
  /** The response is complete; nothing may follow it. */
  | { type: "end"; response: CompileResponse };

const EMPTY: Uint8Array = new Uint8Array(0);

interface ResponseContext {
  d: StepDriver<ResponseEvent>;
  budget: TotalBudget;
  limits: DecoderLimits;
  compression: Compression;
  compressed: boolean;
}

/** Reads one body packet (header + body), decompressing it in v2/v3. Module-level: see request-decoder.ts. */
function* readBody(ctx: ResponseContext, token: TokenName): Generator<number, Uint8Array, Uint8Array> {
  const { d, limits, budget, compressed } = ctx;
  d.expecting = token;
  const { value } = expectToken(yield HEADER_LENGTH, token);
  checkLimit(`${token} length`, value, limits.maxPayload, "maxPayload");
  if (!compressed) checkLimit(`${token} length`, value, limits.maxDecompressed, "maxDecompressed");
  budget.add(compressed ? 0 : value, token);
  d.expecting = `the body of ${token}`;
  const wire: Uint8Array = yield value;
  if (!compressed || value === 0) return wire;
  const data = decompressBody(wire, ctx.compression, Math.min(limits.maxDecompressed, budget.left));
  budget.add(data.length, token);
  return data;
}

function* responseSteps(
  emit: (e: ResponseEvent) => void,
  d: StepDriver<ResponseEvent>,
  expected: ProtocolVersion,
  limits: DecoderLimits,
  compression: Compression,
): Steps {
  const budget = new TotalBudget(limits.maxTotal);
  const compressed = expected >= 2;

  const ctx: ResponseContext = { d, budget, limits, compression, compressed };

  d.expecting = "DONE";
  const done = expectToken(yield HEADER_LENGTH, "DONE").value;
  if (done !== expected) {
    throw new DistccProtocolError(
      "DISTCC_ERR_BAD_VERSION",
      `the server answered protocol version ${done}, expected ${expected}`,
    );
  }
  emit({ type: "done", version: expected });
  d.expecting = "STAT";
  const status = expectToken(yield HEADER_LENGTH, "STAT").value;
  emit({ type: "status", status });
  const stderr = yield* readBody(ctx, "SERR");
  emit({ type: "stderr", data: stderr });
  const stdout = yield* readBody(ctx, "SOUT");
  emit({ type: "stdout", data: stdout });
  let object = EMPTY;
  if (status === 0) {
    object = yield* readBody(ctx, "DOTO");
  } else {
    // A failed compile has DOTO 0 and no body. Should a server send a body anyway, distcc's
    // client ignores it; we read past it (bounded) and drop it.
    d.expecting = "DOTO";
    const { value } = expectToken(yield HEADER_LENGTH, "DOTO");
    checkLimit("DOTO length", value, limits.maxPayload, "maxPayload");
    d.expecting = "the body of DOTO";
    yield value;
  }
  emit({ type: "object", data: object });
  const response: CompileResponse = { version: expected, status, stderr, stdout, object };
  if (expected === 3 && status === 0) {
    response.deps = yield* readBody(ctx, "DOTD");
    emit({ type: "deps", data: response.deps });
  }
  d.expecting = "nothing";
  emit({ type: "end", response });
}

/**
 * Push decoder of a compile response (server -> client) for the version the request used: DONE
 * must carry exactly that version. DOTD is read only in protocol 3 after a successful compile.
 */
export class ResponseDecoder {
  private readonly driver: StepDriver<ResponseEvent>;

  constructor(expectedVersion: ProtocolVersion, limits?: Partial<DecoderLimits>, options: DecoderOptions = {}) {
    if (![0, 1, 2, 3].includes(expectedVersion)) {
      throw new DistccProtocolError(
        "DISTCC_ERR_BAD_VERSION",
        `protocol version ${String(expectedVersion)} is not 0..3`,
      );
    }
    const resolved = resolveLimits(limits);
    const compression = options.compression ?? "lzo";
    this.driver = new StepDriver<ResponseEvent>(
      (emit, d) => responseSteps(emit, d, expectedVersion, resolved, compression),
      options.allowTrailingData,
    );
  }

  /** Bytes dropped after the end of the response (with allowTrailingData). */
  get trailingBytes(): number {
    return this.driver.trailingBytes;
  }

  /** Bytes after the end of the response (allowTrailingData "keep"), removed from the decoder. */
  takeTrailing(): Uint8Array[] {
    return this.driver.takeTrailing();
  }

  get done(): boolean {
    return this.driver.done;
  }

  push(chunk: Uint8Array): ResponseEvent[] {
    return this.driver.push(chunk);
  }

  /** Call at EOF: throws DISTCC_ERR_TRUNCATED unless the response is complete. */
  finish(): void {
    this.driver.finish();
  }
}
