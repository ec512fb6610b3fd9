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
    // 10.0.0.2 was never served: its request goes before 10.0.0.1's second and third.
    (await b)?.();
    (await a1)?.();
    expect(slots.queuedFor("10.0.0.1")).toBe(0);
    // a slot freed makes room in the client's share again
    const a3 = slots.acquire(undefined, "10.0.0.1");
    expect(slots.queuedFor("10.0.0.1")).toBe(1);
    (await a2)?.();
    (await a3)?.();
    expect(slots.running).toBe(0);
    expect(slots.queued).toBe(0);
  });

  it("a freed slot goes to the waiting address with the fewest running jobs, not to the oldest waiter", async () => {
    const slots = new JobSlots(2, 10);
    const granted: string[] = [];
    const take = (client: string, name: string): Promise<(() => void) | undefined> =>
      slots.acquire(undefined, client).then((release) => {
        granted.push(name);
        return release;
      });
    const a1 = await take("10.0.0.1", "a1");
    const a2 = await take("10.0.0.1", "a2");
    const a3 = take("10.0.0.1", "a3");
    const a4 = take("10.0.0.1", "a4");
    const b1 = take("10.0.0.2", "b1");
    a1?.();
    // b1 came last, but 10.0.0.2 runs nothing while 10.0.0.1 still runs a2.
    const b1Release = await b1;
    expect(granted).toEqual(["a1", "a2", "b1"]);
    a2?.();
    b1Release?.();
    (await a3)?.();
    (await a4)?.();
    expect(granted).toEqual(["a1", "a2", "b1", "a3", "a4"]);
    expect(slots.running).toBe(0);
  });

  it("with one slot, addresses take turns: the one served longest ago goes first", async () => {
    const slots = new JobSlots(1, 10);
    const granted: string[] = [];
    const take = (client: string, name: string): Promise<(() => void) | undefined> =>
      slots.acquire(undefined, client).then((release) => {
        granted.push(name);
        return release;
      });
    const releases = new Map<string, Promise<(() => void) | undefined>>();
    for (const [client, name] of [
      ["10.0.0.1", "a1"],
      ["10.0.0.1", "a2"],
      ["10.0.0.1", "a3"],
      ["10.0.0.2", "b1"],
      ["10.0.0.2", "b2"],
    ] as const) {
      releases.set(name, take(client, name));
    }
    // Each release hands the slot on at once: release whoever holds it, five times.
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      (await releases.get(granted.at(-1)!))?.();
    }
    expect(granted).toEqual(["a1", "b1", "a2", "b2", "a3"]);
    expect(slots.running).toBe(0);
  });

  it("one address runs at most maxRunningPerClient jobs: a newcomer from another finds a slot at once", async () => {
    const slots = new JobSlots(3, 10, 10, 2);
    const a1 = await slots.acquire(undefined, "10.0.0.1");
    const a2 = await slots.acquire(undefined, "10.0.0.1");
    const a3 = slots.acquire(undefined, "10.0.0.1");
    expect(slots.running).toBe(2);
    expect(slots.queued).toBe(1);
    const b = await slots.acquire(undefined, "10.0.0.2");
    expect(b).toBeTypeOf("function");
    expect(slots.runningFor("10.0.0.2")).toBe(1);
    // Alone again, the address still gets only its cap; a freed slot of its own goes to its waiter.
    b?.();
    expect(slots.queued).toBe(1);
    a1?.();
    (await a3)?.();
    a2?.();
    expect(slots.running).toBe(0);
    expect(slots.queued).toBe(0);
  });
});
