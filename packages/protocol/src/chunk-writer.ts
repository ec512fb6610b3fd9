import { HEADER_LENGTH, writeHeader, type TokenName } from "./tokens.js";

/** Bodies at least this big go out as their own chunk (no copy); smaller pieces are packed together. */
const OWN_CHUNK_THRESHOLD = 4096;
const PACK_SIZE = 16384;

const utf8 = new TextEncoder();

/**
 * Builds a message as a list of chunks: headers and small bodies are packed into shared
 * buffers, big bodies are referenced as they are, so a 10 MB object is never copied.
 */
export class ChunkWriter {
  private readonly chunks: Uint8Array[] = [];
  private pack = new Uint8Array(PACK_SIZE);
  private used = 0;

  header(token: TokenName, value: number): void {
    this.reserve(HEADER_LENGTH);
    writeHeader(this.pack, this.used, token, value);
    this.used += HEADER_LENGTH;
  }

  /** A header whose value is the body length, then the body. */
  packet(token: TokenName, body: Uint8Array): void {
    this.header(token, body.length);
    this.bytes(body);
  }

  stringPacket(token: TokenName, text: string): void {
    this.packet(token, utf8.encode(text));
  }

  private bytes(body: Uint8Array): void {
    if (body.length === 0) return;
    if (body.length >= OWN_CHUNK_THRESHOLD) {
      this.flush();
      this.chunks.push(body);
      return;
    }
    this.reserve(body.length);
    this.pack.set(body, this.used);
    this.used += body.length;
  }

  private reserve(n: number): void {
    if (this.used + n <= this.pack.length) return;
    this.flush();
    this.pack = new Uint8Array(Math.max(PACK_SIZE, n));
  }

  private flush(): void {
    if (this.used === 0) return;
    this.chunks.push(this.pack.subarray(0, this.used));
    this.pack = this.pack.subarray(this.used);
    this.used = 0;
  }

  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}
