import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { formatBuildSummary } from "./build-stats.js";
import { distccPolicy } from "./policies/distcc.js";
import { Scheduler } from "./scheduler.js";

describe("build statistics", () => {
  it("count per place, failures by reason and local fallbacks, and print a summary", () => {
    const s = new Scheduler({
      hosts: [
        { id: "tcp_a_3632", limit: 1 },
        { id: "tcp_b_3632", limit: 1 },
      ],
      localSlots: 1,
      policy: distccPolicy(),
      backoff: new Backoff({ periodMs: 60_000 }),
    });
    const j1 = s.submit({ inputBytes: 1000 }, 0);
    const j2 = s.submit({ inputBytes: 1000 }, 0);
    const j3 = s.submit({ inputBytes: 1000 }, 0);
    expect(j3.lease).toBeUndefined();
    // a refuses j1: a is backed off, b (the only host left) is busy: j1 waits at the head of the queue.
    const u1 = s.finish(j1.lease!.id, { ok: false, reason: "connection refused" }, 10);
    expect(u1.granted).toEqual([]);
    const u2 = s.finish(j2.lease!.id, { ok: true, elapsedMs: 120 }, 120);
    expect(u2.granted.map((l) => [l.jobId, l.placeId])).toEqual([[j1.jobId, "tcp_b_3632"]]);
    const u3 = s.finish(u2.granted[0]!.id, { ok: false, reason: "no answer", retryLocally: true }, 130);
    expect(u3.granted.map((l) => [l.jobId, l.placeId])).toEqual([[j1.jobId, "localhost"]]);
    s.finish(u3.granted[0]!.id, { ok: true, elapsedMs: 300 }, 430);
    s.cancel(j3.jobId, 440);

    const stats = s.stats();
    expect(stats).toMatchObject({ jobs: 3, finished: 2, cancelled: 1, unplaceable: 0, fellBackLocally: 1 });
    expect(stats.places.tcp_a_3632).toMatchObject({ compiled: 0, failures: { "connection refused": 1 } });
    expect(stats.places.tcp_b_3632).toMatchObject({ compiled: 1, totalMs: 120, failures: { "no answer": 1 } });
    expect(stats.places.localhost).toMatchObject({ compiled: 1, totalMs: 300 });
    expect(formatBuildSummary(stats).split("\n")).toEqual([
      "2 of 3 jobs compiled, 1 cancelled, 1 compiled locally after a remote failure",
      "  localhost       1 job     300 ms/job",
      "  tcp_b_3632      1 job     120 ms/job  failed: 1x no answer",
      "  tcp_a_3632      0 jobs             -  failed: 1x connection refused",
    ]);
    // Places named as the user wrote them, one more listed with a note.
    const named = formatBuildSummary(stats, {
      name: (id) => ({ tcp_a_3632: "a", tcp_b_3632: "b:3632", tcp_c_3632: "c" })[id] ?? id,
      alsoList: ["tcp_c_3632"],
      note: (id) => (id === "tcp_c_3632" ? "skipped: backed off" : undefined),
    });
    expect(named.split("\n")).toEqual([
      "2 of 3 jobs compiled, 1 cancelled, 1 compiled locally after a remote failure",
      "  localhost      1 job     300 ms/job",
      "  b:3632         1 job     120 ms/job  failed: 1x no answer",
      "  a              0 jobs             -  failed: 1x connection refused",
      "  c              0 jobs             -  skipped: backed off",
    ]);
    expect(
      formatBuildSummary({ jobs: 1, finished: 1, cancelled: 0, unplaceable: 0, fellBackLocally: 0, places: {} }),
    ).toBe("1 of 1 job compiled");
  });
});
