import { describe, expect, it } from "vitest";
import { JobSlots } from "./job-slots.js";

describe("JobSlots", () => {
  it("runs at most `capacity` at once, queues up to maxQueue, refuses beyond", async () => {
    const slots = new JobSlots(2, 1);
    const a = await slots.acquire();
    const b = await slots.acquire();
    expect(slots.running).toBe(2);
    const c = slots.acquire();
    expect(slots.queued).toBe(1);
    expect(await slots.acquire()).toBeUndefined();
    a?.();
    const release = await c;
    expect(release).toBeTypeOf("function");
    expect(slots.running).toBe(2);
    b?.();
    release?.();
    release?.(); // twice is harmless
    expect(slots.running).toBe(0);
  });

  it("drops a waiter whose signal aborts", async () => {
    const slots = new JobSlots(1, 5);
    const first = await slots.acquire();
    const ctl = new AbortController();
    const waiting = slots.acquire(ctl.signal);
    ctl.abort();
    expect(await waiting).toBeUndefined();
    expect(slots.queued).toBe(0);
    first?.();
    expect(slots.running).toBe(0);
  });

  it("caps each client's share of the queue; another client still gets in line", async () => {
    const slots = new JobSlots(1, 10, 2);
    const running = await slots.acquire(undefined, "10.0.0.1");
    const a1 = slots.acquire(undefined, "10.0.0.1");
    const a2 = slots.acquire(undefined, "10.0.0.1");
    expect(await slots.acquire(undefined, "10.0.0.1")).toBeUndefined();
    expect(slots.queuedFor("10.0.0.1")).toBe(2);
    const b = slots.acquire(undefined, "10.0.0.2");
    expect(slots.queued).toBe(3);
    running?.();
    (await a1)?.();
    expect(slots.queuedFor("10.0.0.1")).toBe(0);
    // a slot freed makes room in the client's share again
    const a3 = slots.acquire(undefined, "10.0.0.1");
    expect(slots.queuedFor("10.0.0.1")).toBe(1);
    (await a2)?.();
    (await b)?.();
    (await a3)?.();
    expect(slots.running).toBe(0);
    expect(slots.queued).toBe(0);
  });
});
