import { ByteQueue } from "./byte-queue.js";
import { DistccProtocolError } from "./errors.js";

/**
 * A parser written as a generator: it yields how many bytes it needs next and receives exactly
 * those bytes. The driver below feeds it from the pushed chunks, so the parser never sees a chunk
 * boundary and chunking cannot change the result.
 */
export type Steps = Generator<number, void, Uint8Array>;

export class StepDriver<E> {
  private readonly queue = new ByteQueue();
  private readonly steps: Steps;
  private want: number;
  private finished = false;
  private failure: DistccProtocolError | undefined;
  private events: E[] = [];
  /** What the parser is waiting for, for the truncation message. */
  expecting = "the first token";

  constructor(makeSteps: (emit: (event: E) => void, driver: StepDriver<E>) => Steps) {
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
      throw this.fail(new DistccProtocolError("DISTCC_ERR_TRAILING_DATA", `${chunk.length} bytes after the end of the message`));
    }
    this.queue.push(chunk);
    try {
      while (!this.finished && this.queue.length >= this.want) {
        const r = this.steps.next(this.queue.take(this.want));
        if (r.done) {
          this.finished = true;
          if (this.queue.length > 0) {
            throw new DistccProtocolError("DISTCC_ERR_TRAILING_DATA", `${this.queue.length} bytes after the end of the message`);
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

  finish(): void {
    if (this.failure) throw this.failure;
    if (!this.finished) {
      throw this.fail(
        new DistccProtocolError(
          "DISTCC_ERR_TRUNCATED",
          `the stream ended while waiting for ${this.expecting} (${this.queue.length} of ${this.want} bytes)`,
        ),
      );
    }
  }

  private fail(err: DistccProtocolError): DistccProtocolError {
    this.failure = err;
    this.events = [];
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
