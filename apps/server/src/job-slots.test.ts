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
});
