/**
 * The bytes pushed into a decoder and not consumed yet, kept as the caller's chunks (no copy on
 * push). take(n) returns a view when the n bytes sit inside one chunk and copies only when they
 * span chunks. Chunks must not be modified after they were pushed.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private first = 0; // index of the first live chunk
  private offset = 0; // bytes already consumed from chunks[first]
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Removes and returns the next n bytes; the caller checked that length >= n. */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const head = this.chunks[this.first]!;
    const left = head.length - this.offset;
    if (n <= left) {
      const view = head.subarray(this.offset, this.offset + n);
      this.offset += n;
      this.size -= n;
      if (this.offset === head.length) this.dropHead();
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.first]!;
      const avail = c.length - this.offset;
      const k = Math.min(avail, n - filled);
      out.set(c.subarray(this.offset, this.offset + k), filled);
      filled += k;
      this.offset += k;
      if (this.offset === c.length) this.dropHead();
    }
    this.size -= n;
    return out;
  }

  /** Removes the next n bytes (n <= length) by copying them into target at offset. */
  takeInto(target: Uint8Array, offset: number, n: number): void {
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[this.first]!;
      const k = Math.min(c.length - this.offset, n - filled);
      target.set(c.subarray(this.offset, this.offset + k), offset + filled);
      filled += k;
      this.offset += k;
      if (this.offset === c.length) this.dropHead();
    }
    this.size -= n;
  }

  private dropHead(): void {
    this.chunks[this.first] = undefined as unknown as Uint8Array;
    this.first++;
    this.offset = 0;
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
