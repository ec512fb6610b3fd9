import { ByteQueue } from "./byte-queue.js";
import { DistccProtocolError } from "./errors.js";

/**
 * A parser written as a generator: it yields how many bytes it needs next and receives exactly
 * those bytes. The driver below feeds it from the pushed chunks, so the parser never sees a chunk
 * boundary and chunking cannot change the result.
 */
export type Steps = Generator<number, void, Uint8Array>;

/**
 * Reads at least this big that do not arrive in one chunk are copied into their final buffer as
 * the chunks come, so a big body is never held twice (once as chunks, once assembled).
 */
const ASSEMBLE_THRESHOLD = 64 * 1024;

export class StepDriver<E> {
  private readonly queue = new ByteQueue();
  private readonly steps: Steps;
  private want: number;
  private finished = false;
  private failure: DistccProtocolError | undefined;
  private events: E[] = [];
  /** A read of at least ASSEMBLE_THRESHOLD bytes spanning chunks, filled as the chunks arrive. */
  private partial: Uint8Array | undefined;
  private partialFilled = 0;
  /** What the parser is waiting for, for the truncation message. */
  expecting = "the first token";

  /** Bytes seen after the end of the message (only counted when they are allowed). */
  trailingBytes = 0;
  /** With allowTrailingData "keep": the bytes after the end, until taken. */
  private kept: Uint8Array[] = [];

  constructor(
    makeSteps: (emit: (event: E) => void, driver: StepDriver<E>) => Steps,
    private readonly allowTrailingData: boolean | "keep" = false,
  ) {
    this.steps = makeSteps((e) => this.events.push(e), this);
    const first = this.steps.next();
    this.want = first.done ? 0 : first.value;
    this.finished = first.done === true;
  }

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Uint8Array): E[] {
    if (this.failure) throw this.failure;
    if (this.finished) {
      if (chunk.length === 0) return [];
      if (this.allowTrailingData) {
        this.trailingBytes += chunk.length;
        if (this.allowTrailingData === "keep") this.kept.push(chunk);
        return [];
      }
      throw this.fail(
        new DistccProtocolError("DISTCC_ERR_TRAILING_DATA", `${chunk.length} bytes after the end of the message`),
      );
    }
    this.queue.push(chunk);
    try {
      while (!this.finished) {
        let bytes: Uint8Array;
        if (this.partial) {
          // A big read being assembled: move what arrived into it and drop the chunks.
          const k = Math.min(this.queue.length, this.want - this.partialFilled);
          this.queue.takeInto(this.partial, this.partialFilled, k);
          this.partialFilled += k;
          if (this.partialFilled < this.want) break;
          bytes = this.partial;
          this.partial = undefined;
          this.partialFilled = 0;
        } else if (this.queue.length >= this.want) {
          bytes = this.queue.take(this.want);
        } else if (this.want >= ASSEMBLE_THRESHOLD && this.queue.length > 0) {
          // The parser checked this length against its limits before asking for it.
          this.partial = new Uint8Array(this.want);
          this.partialFilled = 0;
          continue;
        } else {
          break;
        }
        const r = this.steps.next(bytes);
        if (r.done) {
          this.finished = true;
          if (this.queue.length > 0 && this.allowTrailingData) {
            this.trailingBytes += this.queue.length;
            const rest = this.queue.take(this.queue.length);
            if (this.allowTrailingData === "keep") this.kept.push(rest);
          } else if (this.queue.length > 0) {
            throw new DistccProtocolError(
              "DISTCC_ERR_TRAILING_DATA",
              `${this.queue.length} bytes after the end of the message`,
            );
          }
        } else {
          this.want = r.value;
        }
      }
    } catch (err) {
      throw this.fail(asProtocolError(err));
    }
    const out = this.events;
    this.events = [];
    return out;
  }

  /** The bytes after the end kept so far (allowTrailingData "keep"), removed from the driver. */
  takeTrailing(): Uint8Array[] {
    const out = this.kept;
    this.kept = [];
    return out;
  }

  finish(): void {
    if (this.failure) throw this.failure;
    if (!this.finished) {
      throw this.fail(
        new DistccProtocolError(
          "DISTCC_ERR_TRUNCATED",
          `the stream ended while waiting for ${this.expecting} (${this.partialFilled + this.queue.length} of ${this.want} bytes)`,
        ),
      );
    }
  }

  private fail(err: DistccProtocolError): DistccProtocolError {
    this.failure = err;
    this.events = [];
    this.partial = undefined;
    return err;
  }
}

/** Anything unexpected from inside a parser still leaves as the one typed error. */
function asProtocolError(err: unknown): DistccProtocolError {
  if (err instanceof DistccProtocolError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const e = new DistccProtocolError("DISTCC_ERR_DECODER_FAILED", `decoder failed: ${message}`);
  (e as { cause?: unknown }).cause = err;
  return e;
}
