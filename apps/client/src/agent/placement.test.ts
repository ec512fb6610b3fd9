import { describe, expect, it } from "vitest";
import { parseHostList } from "@x/distcc-hosts";
import { runCommand } from "../commands.js";
import { localCountsAsPlace, PlacementDriver, policyName } from "./placement.js";

describe("policyName / localCountsAsPlace", () => {
  const helpers = parseHostList("a/4 b/2");
  it("fastest by default; DISTCC_POLICY (or the older DISTCC_SCHEDULER) picks distcc or random; --randomize wins", () => {
    expect(policyName(helpers, {})).toBe("fastest");
    expect(policyName(helpers, { DISTCC_POLICY: "distcc" })).toBe("distcc");
    expect(policyName(helpers, { DISTCC_POLICY: " Random " })).toBe("random");
    expect(policyName(helpers, { DISTCC_POLICY: "fastest" })).toBe("fastest");
    expect(policyName(helpers, { DISTCC_SCHEDULER: "distcc" })).toBe("distcc");
    expect(policyName(helpers, { DISTCC_SCHEDULER: "earliest-finish" })).toBe("fastest");
    expect(policyName(parseHostList("--randomize a b"), { DISTCC_POLICY: "distcc" })).toBe("random");
  });
  it("this machine is a place for fastest whatever the list (not with DISTCC_FALLBACK=0); for distcc only with localhost", () => {
    expect(localCountsAsPlace(helpers, "fastest", true)).toBe(true);
    expect(localCountsAsPlace(helpers, "fastest", false)).toBe(false);
    expect(localCountsAsPlace(helpers, "distcc", true)).toBe(false);
    expect(localCountsAsPlace(parseHostList("a localhost/2"), "distcc", false)).toBe(true);
  });
});

describe("PlacementDriver", () => {
  it("with fastest, a job excluded from localhost by a helper-only list may still run here", async () => {
    // Two helpers never measured and full: the third job would wait; this machine is probed instead.
    const driver = new PlacementDriver(parseHostList("10.0.0.1/1 10.0.0.2/1 --localslots=1"), {
      policy: "fastest",
      backoffPeriodMs: 60_000,
      localIsAPlace: true,
    });
    const signal = new AbortController().signal;
    const places: string[] = [];
    for (let i = 0; i < 3; i++)
      places.push((await driver.submit({ inputBytes: 1000, excluded: ["localhost"] }, signal)).lease.placeId);
    expect(places).toEqual(["tcp_10.0.0.1_3632", "tcp_10.0.0.2_3632", "localhost"]);
  });

  it("with distcc's order and no localhost, the job waits for a helper (distcc's meaning of the list)", async () => {
    const driver = new PlacementDriver(parseHostList("10.0.0.1/1"), { policy: "distcc", backoffPeriodMs: 60_000 });
    const abort = new AbortController();
    const first = await driver.submit({ inputBytes: 1000, excluded: ["localhost"] }, abort.signal);
    expect(first.lease.placeId).toBe("tcp_10.0.0.1_3632");
    let second: string | undefined;
    const pending = driver
      .submit({ inputBytes: 1000, excluded: ["localhost"] }, abort.signal)
      .then((r) => (second = r.lease.placeId));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBeUndefined();
    driver.finish(first.lease, { ok: true, elapsedMs: 5 });
    await pending;
    expect(second).toBe("tcp_10.0.0.1_3632");
  });

  it("a job waiting for a backed-off helper is placed when the backoff ends (one timer, no polling)", async () => {
    const driver = new PlacementDriver(parseHostList("10.0.0.1/1 --localslots=1"), {
      policy: "distcc",
      backoffPeriodMs: 150,
    });
    const signal = new AbortController().signal;
    const first = await driver.submit({ inputBytes: 1000 }, signal);
    driver.finish(first.lease, { ok: false, reason: "connection refused" });
    const failedAt = Date.now();
    // Backed off: the retry takes this machine's only slot (distcc's fallback) and keeps it.
    const retry = await driver.next(first.jobId, signal);
    expect(retry.placeId).toBe("localhost");
    const later = await driver.submit({ inputBytes: 1000 }, signal);
    expect(later.lease.placeId).toBe("tcp_10.0.0.1_3632");
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(140); // it waited for the backoff to end
    driver.finish(retry, { ok: true });
    driver.finish(later.lease, { ok: true });
    expect(driver.busy).toBe(false);
  });
});

describe("distcc-client -j", () => {
  it("prints nothing for an empty host list (like distcc), the sum of limits otherwise", async () => {
    const empty = await runCommand("jobs", [], { DISTCC_HOSTS: "" }, { cwd: "/" });
    expect(empty.stdout).toBe("");
    expect(empty.code).toBe(0);
    expect((await runCommand("jobs", [], { DISTCC_HOSTS: "a/3 b" }, { cwd: "/" })).stdout).toBe("7\n");
  });
});
