import { describe, expect, it } from "vitest";
import { SlotBroker, SlotCancelledError, type Chooser } from "./slot-broker.js";

const pool =
  (placeId: string, limit: number): Chooser =>
  () => ({ placeId, limit });

describe("SlotBroker", () => {
  it("never exceeds a limit and serves waiters first in, first out (no polling: woken on release)", async () => {
    const b = new SlotBroker();
    const first = await b.acquire(pool("cpp", 2));
    const second = await b.acquire(pool("cpp", 2));
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) =>
      b.acquire(pool("cpp", 2)).then((l) => {
        order.push(n);
        return l;
      }),
    );
    await Promise.resolve();
    expect(b.snapshot()).toEqual({ cpp: 2 });
    expect(b.waiting).toBe(3);
    first.release();
    first.release(); // twice is harmless
    const l1 = await waiting[0]!;
    second.release();
    const l2 = await waiting[1]!;
    expect(b.snapshot()).toEqual({ cpp: 2 });
    l1.release();
    (await waiting[2]!).release();
    l2.release();
    expect(order).toEqual([1, 2, 3]);
    expect(b.snapshot()).toEqual({});
  });

  it("a cancelled waiter leaves the queue and never gets a slot", async () => {
    const b = new SlotBroker();
    const held = await b.acquire(pool("local", 1));
    const abort = new AbortController();
    const cancelled = b.acquire(pool("local", 1), abort.signal);
    const next = b.acquire(pool("local", 1));
    abort.abort();
    await expect(cancelled).rejects.toBeInstanceOf(SlotCancelledError);
    held.release();
    const lease = await next;
    expect(b.snapshot()).toEqual({ local: 1 });
    lease.release();
    expect(b.waiting).toBe(0);
  });

  it("a waiter for a busy pool does not block one for a free pool", async () => {
    const b = new SlotBroker();
    const held = await b.acquire(pool("a", 1));
    const blocked = b.acquire(pool("a", 1));
    const free = await b.acquire(pool("b", 1));
    expect(b.snapshot()).toEqual({ a: 1, b: 1 });
    free.release();
    held.release();
    (await blocked).release();
  });
});
