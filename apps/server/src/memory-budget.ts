/**
 * Bytes held by requests being read or waiting, and by answers being sent, across all connections.
 * Per-request limits alone do not bound the server: 256 connections each at the limit would be far
 * too much. A chunk or a decompressed body that would go over the budget drops its connection
 * (REJ_OVERLOAD) instead. Node runs one decode at a time, so the peak is at most budget + one body.
 *
 * Issue 14 (A8, A11): nine connections that sent most of a big body and then trickled a byte every
 * few seconds held the whole budget, and every real compile was refused; answers to clients that
 * never read were held uncounted. So:
 * - one client address holds at most `perClient` bytes;
 * - when a chunk does not fit, the holders that made no progress for `evictIdleMs` (a request
 *   being trickled, an answer nobody reads) are dropped, biggest first, before the newcomer is
 *   refused: a fresh request that is arriving fast wins over a stale one;
 * - issue 14, H6: complete requests waiting for a slot pinned the budget (five addresses, two
 *   100 MiB requests each, while the slots were busy). When idle holders are not enough, waiting
 *   requests are dropped too, one at a time from the address holding the most waiting bytes
 *   (its client is told the server is busy and compiles them itself: no build fails), but only
 *   from an address holding more than the newcomer's would after the take, so two clients never
 *   take turns dropping each other's work.
 */
export class MemoryBudget {
  private used = 0;
  private readonly byClient = new Map<string, number>();
  private readonly holders = new Set<BudgetShare>();
  /** Complete requests waiting for a compile slot (see BudgetShare.waitingForSlot). */
  private readonly waiters = new Set<BudgetShare>();

  constructor(
    readonly capacity: number,
    readonly perClient: number = capacity,
    readonly evictIdleMs = 1000,
  ) {}

  get inUse(): number {
    return this.used;
  }

  /** Bytes held for `client` now. */
  usedBy(client: string): number {
    return this.byClient.get(client) ?? 0;
  }

  /**
   * Takes `bytes` for `share` if they fit (evicting idle holders to make room): undefined; else
   * (nothing taken) why not.
   */
  take(share: BudgetShare, bytes: number): string | undefined {
    if (share.client !== undefined && this.usedBy(share.client) + bytes > this.perClient) {
      return `${share.client}'s share of the server's memory budget (--max-client-request-memory, ${this.perClient} bytes) exceeded`;
    }
    if (this.used + bytes > this.capacity && !this.makeRoom(share, this.used + bytes - this.capacity, bytes)) {
      return `server memory budget for requests exceeded (--max-request-memory, ${this.capacity} bytes)`;
    }
    this.add(share, bytes);
    return undefined;
  }

  /** Counts bytes already in memory (an answer): never refused, but may evict idle holders to get back under the budget. */
  takeAnyway(share: BudgetShare, bytes: number): void {
    if (this.used + bytes > this.capacity) this.makeRoom(share, this.used + bytes - this.capacity, bytes);
    this.add(share, bytes);
  }

  give(share: BudgetShare, bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    if (share.client === undefined) return;
    const left = this.usedBy(share.client) - bytes;
    if (left > 0) this.byClient.set(share.client, left);
    else this.byClient.delete(share.client);
  }

  /** @internal Shares that may be dropped to make room (see BudgetShare.evictable). */
  register(share: BudgetShare, on: boolean): void {
    if (on) this.holders.add(share);
    else this.holders.delete(share);
  }

  /** @internal Complete requests that may be dropped while they wait for a slot. */
  registerWaiting(share: BudgetShare, on: boolean): void {
    if (on) this.waiters.add(share);
    else this.waiters.delete(share);
  }

  private add(share: BudgetShare, bytes: number): void {
    this.used += bytes;
    if (share.client !== undefined) this.byClient.set(share.client, this.usedBy(share.client) + bytes);
  }

  /**
   * Drops idle holders, biggest first, then waiting requests (see the class comment), until
   * `needed` bytes are free; false (nothing dropped) if they cannot be.
   */
  private makeRoom(requester: BudgetShare, needed: number, bytes: number): boolean {
    const now = performance.now();
    const idle = [...this.holders].filter(
      (h) => h !== requester && h.held > 0 && now - h.lastActivity >= this.evictIdleMs,
    );
    idle.sort((a, b) => b.held - a.held);
    const victims: { share: BudgetShare; reason: string }[] = [];
    let freed = 0;
    for (const holder of idle) {
      if (freed >= needed) break;
      freed += holder.held;
      victims.push({
        share: holder,
        reason: `dropped to make room in the server's memory budget (--max-request-memory): no progress for ${Math.round(now - holder.lastActivity)} ms while holding ${holder.held} bytes`,
      });
    }
    if (freed < needed) freed += this.pickWaiting(requester, needed - freed, bytes, victims);
    if (freed < needed) return false;
    for (const { share, reason } of victims) share.evict(reason);
    return true;
  }

  /** Adds to `victims` waiting requests worth up to `needed` bytes; returns the bytes they hold. */
  private pickWaiting(
    requester: BudgetShare,
    needed: number,
    bytes: number,
    victims: { share: BudgetShare; reason: string }[],
  ): number {
    const byAddress = new Map<string, BudgetShare[]>();
    const waitingBytes = new Map<string, number>();
    for (const share of this.waiters) {
      if (share.held === 0 || share.client === requester.client) continue;
      const key = share.client ?? "";
      byAddress.set(key, [...(byAddress.get(key) ?? []), share]);
      waitingBytes.set(key, (waitingBytes.get(key) ?? 0) + share.held);
    }
    // What the newcomer's address will hold: only an address holding more waiting than that loses a request.
    const floor = (requester.client === undefined ? requester.held : this.usedBy(requester.client)) + bytes;
    let freed = 0;
    while (freed < needed) {
      let heaviest: string | undefined;
      for (const [key, held] of waitingBytes)
        if (held > floor && (heaviest === undefined || held > (waitingBytes.get(heaviest) ?? 0))) heaviest = key;
      if (heaviest === undefined) break;
      const shares = byAddress.get(heaviest) ?? [];
      shares.sort((a, b) => b.held - a.held);
      const share = shares.shift() as BudgetShare;
      const held = waitingBytes.get(heaviest) ?? 0;
      if (shares.length === 0) waitingBytes.delete(heaviest);
      else waitingBytes.set(heaviest, held - share.held);
      freed += share.held;
      victims.push({
        share,
        reason: `dropped to make room in the server's memory budget (--max-request-memory): waiting for a compile slot with ${share.held} bytes while ${heaviest || "its address"} held the most waiting (${held} bytes)`,
      });
    }
    return freed;
  }
}

/** One connection's share of the budget, given back at once when the job ends or is dropped. */
export class BudgetShare {
  private heldBytes = 0;
  /** performance.now() of the last progress (a chunk read, a chunk of the answer taken by the client). */
  lastActivity = performance.now();
  private onEvict: ((reason: string) => void) | undefined;
  private onDropWaiting: ((reason: string) => void) | undefined;

  constructor(
    private readonly budget: MemoryBudget,
    /** The client address (the key of the per-client share); undefined: not capped per client. */
    readonly client?: string,
  ) {}

  get held(): number {
    return this.heldBytes;
  }

  /** Why the last take failed. */
  refusal = "";

  take(bytes: number): boolean {
    const refusal = this.budget.take(this, bytes);
    if (refusal !== undefined) {
      this.refusal = refusal;
      return false;
    }
    this.heldBytes += bytes;
    return true;
  }

  /** Counts bytes that are in memory already (see MemoryBudget.takeAnyway). */
  takeAnyway(bytes: number): void {
    this.budget.takeAnyway(this, bytes);
    this.heldBytes += bytes;
  }

  /** Progress: the share is not idle. */
  touch(): void {
    this.lastActivity = performance.now();
  }

  /**
   * While set, the budget may drop this share to make room when it made no progress for a while:
   * `onEvict` must end the connection (its memory is given back right after it returns).
   * undefined: not to be dropped (a complete request waiting for its slot, a job compiling).
   */
  evictable(onEvict: ((reason: string) => void) | undefined): void {
    this.onEvict = onEvict;
    this.budget.register(this, onEvict !== undefined);
    this.touch();
  }

  /**
   * While set, a complete request waiting for a compile slot: the budget may drop it to make room
   * (see MemoryBudget); `onDrop` must answer the client "busy" (its memory is given back right
   * after it returns). undefined: no longer waiting.
   */
  waitingForSlot(onDrop: ((reason: string) => void) | undefined): void {
    this.onDropWaiting = onDrop;
    this.budget.registerWaiting(this, onDrop !== undefined);
  }

  /** @internal Called by the budget. */
  evict(reason: string): void {
    const onEvict = this.onEvict ?? this.onDropWaiting;
    this.evictable(undefined);
    this.waitingForSlot(undefined);
    onEvict?.(reason);
    this.releaseAll();
  }

  releaseAll(): void {
    this.budget.give(this, this.heldBytes);
    this.heldBytes = 0;
    if (this.onEvict) this.evictable(undefined);
    if (this.onDropWaiting) this.waitingForSlot(undefined);
  }
}
