import { describe, expect, it } from "vitest";
import { BudgetShare, MemoryBudget } from "./memory-budget.js";

describe("MemoryBudget", () => {
  it("caps one client address at its share; another address still gets the rest", () => {
    const budget = new MemoryBudget(100, 50);
    const a1 = new BudgetShare(budget, "10.0.0.1");
    const a2 = new BudgetShare(budget, "10.0.0.1");
    const b = new BudgetShare(budget, "10.0.0.2");
    expect(a1.take(30)).toBe(true);
    expect(a2.take(30)).toBe(false);
    expect(a2.refusal).toMatch(/10\.0\.0\.1's share .* \(--max-client-request-memory, 50 bytes\)/);
    expect(b.take(50)).toBe(true);
    expect(budget.usedBy("10.0.0.1")).toBe(30);
    a1.releaseAll();
    expect(a2.take(30)).toBe(true);
    expect(budget.inUse).toBe(80);
  });

  it("when full, drops idle holders, biggest first, and only as many as needed", () => {
    const budget = new MemoryBudget(100, 100, 0);
    const dropped: string[] = [];
    const holder = (name: string, bytes: number): BudgetShare => {
      const share = new BudgetShare(budget, name);
      share.evictable((why) => dropped.push(`${name}: ${why}`));
      expect(share.take(bytes)).toBe(true);
      return share;
    };
    holder("small", 10);
    holder("big", 50);
    holder("middle", 30);
    const fresh = new BudgetShare(budget, "fresh");
    expect(fresh.take(40)).toBe(true);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(/^big: dropped to make room in the server's memory budget/);
    expect(budget.inUse).toBe(80);
  });

  it("never drops a holder that is not evictable or made progress lately; then the newcomer is refused", () => {
    const budget = new MemoryBudget(100, 100, 60_000);
    const busy = new BudgetShare(budget, "busy");
    busy.evictable(() => expect.unreachable("a holder that just made progress was dropped"));
    expect(busy.take(60)).toBe(true);
    const waiting = new BudgetShare(budget, "waiting");
    expect(waiting.take(30)).toBe(true); // not evictable: a complete request waiting for its slot
    const fresh = new BudgetShare(budget, "fresh");
    expect(fresh.take(20)).toBe(false);
    expect(fresh.refusal).toMatch(/server memory budget for requests exceeded \(--max-request-memory, 100 bytes\)/);
    expect(budget.inUse).toBe(90);
  });

  it("counts an answer already in memory even over the budget, and makes room by dropping idle holders", () => {
    const budget = new MemoryBudget(100, 100, 0);
    const idle = new BudgetShare(budget, "idle");
    let dropped = false;
    idle.evictable(() => (dropped = true));
    expect(idle.take(70)).toBe(true);
    const answer = new BudgetShare(budget, "answer");
    answer.takeAnyway(50);
    expect(dropped).toBe(true);
    expect(budget.inUse).toBe(50);
    answer.takeAnyway(80); // nothing left to drop: counted anyway
    expect(budget.inUse).toBe(130);
    answer.releaseAll();
    expect(budget.inUse).toBe(0);
  });

  it("when full, drops waiting requests of the address holding the most waiting, never of one holding less than the newcomer's", () => {
    const budget = new MemoryBudget(100, 100, 60_000);
    const dropped: string[] = [];
    const waiting = (client: string, bytes: number): BudgetShare => {
      const share = new BudgetShare(budget, client);
      expect(share.take(bytes)).toBe(true);
      share.waitingForSlot((why) => dropped.push(`${client}: ${why}`));
      return share;
    };
    waiting("A", 30);
    waiting("A", 25);
    waiting("B", 20);
    waiting("C", 15);
    // 10 more for D: A holds the most waiting (55), its biggest request goes.
    const d = new BudgetShare(budget, "D");
    expect(d.take(20)).toBe(true);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(
      /^A: .*waiting for a compile slot with 30 bytes while A held the most waiting \(55 bytes\)/,
    );
    expect(budget.inUse).toBe(80);
    // D would hold 50: no address holds more waiting than that, so D is refused and nothing is dropped.
    expect(d.take(30)).toBe(false);
    expect(d.refusal).toMatch(/--max-request-memory, 100 bytes/);
    expect(dropped).toHaveLength(1);
  });
});
