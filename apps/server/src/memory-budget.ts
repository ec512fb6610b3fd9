/**
 * Bytes held by requests being read or waiting, across all connections. Per-request limits alone
 * do not bound the server: 256 connections each at the limit would be far too much. A chunk or a
 * decompressed body that would go over the budget drops its connection (REJ_OVERLOAD) instead.
 * Node runs one decode at a time, so the peak is at most budget + one body.
 */
export class MemoryBudget {
  private used = 0;

  constructor(readonly capacity: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `bytes` if they fit; false (nothing taken) if they do not. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.capacity) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** One request's share of the budget, given back at once when the job ends. */
export class BudgetShare {
  private held = 0;

  constructor(private readonly budget: MemoryBudget) {}

  take(bytes: number): boolean {
    if (!this.budget.tryTake(bytes)) return false;
    this.held += bytes;
    return true;
  }

  releaseAll(): void {
    this.budget.give(this.held);
    this.held = 0;
  }
}
