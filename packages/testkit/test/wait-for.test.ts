import { describe, expect, it } from "vitest";
import { waitFor, WaitTimeoutError } from "../src/index.js";

describe("waitFor", () => {
  it("returns the first truthy look, looking again after falsy ones and throws", async () => {
    let looks = 0;
    const found = await waitFor(
      "the third look",
      () => {
        looks++;
        if (looks === 1) throw new Error("not there yet");
        return looks === 3 ? { looks } : 0;
      },
      { intervalMs: 1 },
    );
    expect(found).toEqual({ looks: 3 });
  });

  it("throws when the condition never comes, naming it and the last look", async () => {
    const err = await waitFor("a file that never comes", () => false, { timeoutMs: 30, intervalMs: 5 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).code).toBe("TESTKIT_ERR_WAIT_TIMEOUT");
    expect((err as Error).message).toBe("waited 30 ms for a file that never comes; last look gave false");
    const threw = await waitFor(
      "an answer",
      async () => {
        throw new Error("ECONNREFUSED");
      },
      { timeoutMs: 20, intervalMs: 5 },
    ).catch((e: unknown) => e as Error);
    expect(threw.message).toBe("waited 20 ms for an answer; last look threw: ECONNREFUSED");
    expect(threw.cause).toBeInstanceOf(Error);
  });
});
