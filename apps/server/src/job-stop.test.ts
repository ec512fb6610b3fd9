import { describe, expect, it } from "vitest";
import { JobSlots } from "./job-slots.js";
import { JobStop } from "./job-stop.js";

describe("JobStop", () => {
  it("runs each listener once, at the first stop; removed listeners do not run", () => {
    const stop = new JobStop();
    const calls: string[] = [];
    const a = (): void => void calls.push("a");
    const b = (): void => void calls.push("b");
    stop.addEventListener("abort", a);
    stop.addEventListener("abort", b);
    stop.removeEventListener("abort", b);
    expect(stop.aborted).toBe(false);
    stop.stop();
    stop.stop();
    expect(stop.aborted).toBe(true);
    expect(calls).toEqual(["a"]);
  });

  it("drops a slot waiter when stopped, as an AbortSignal would", async () => {
    const slots = new JobSlots(1, 5);
    const first = await slots.acquire();
    const stop = new JobStop();
    const waiting = slots.acquire(stop);
    stop.stop();
    expect(await waiting).toBeUndefined();
    expect(slots.queued).toBe(0);
    expect(await slots.acquire(stop)).toBeUndefined(); // already stopped: no slot
    first?.();
    expect(slots.running).toBe(0);
  });
});
