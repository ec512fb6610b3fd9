import { readFileSync } from "node:fs";
import { vectorPath } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { ServerStats } from "./stats.js";
import { renderDistccdStats, renderPrometheus } from "./stats-render.js";
import type { SystemFigures } from "./system-figures.js";

const sys: SystemFigures = {
  currentLoad: 4,
  loadAverage: [3.94, 3.36, 1.83],
  procsInStateD: 0,
  maxRss: { kb: 39956, name: "node" },
  freeSpaceMb: 76939,
};

describe("stats rendering", () => {
  it("gives distccd's page, same fields in the same order as the captured one", () => {
    const stats = new ServerStats(() => ({ running: 0, queued: 0, connections: 0 }), 2);
    stats.accepted();
    stats.record({
      result: "COMPILE_OK",
      client: "127.0.0.1:1",
      status: 0,
      ret: 0,
      timeMs: 160,
      compileMs: 152,
      compiler: "x86_64-linux-gnu-gcc",
      input: "hello.c",
      bytesIn: 10,
      bytesOut: 20,
    });
    const page = renderDistccdStats(stats.snapshot(), sys);
    stats.close();
    const captured = readFileSync(vectorPath("captures", "stats-port.s2c.bin"), "latin1");
    const capturedBody = captured.slice(captured.indexOf("\n\n") + 2);
    const names = (text: string): string[] => text.split("\n").map((l) => l.split(" ")[0] ?? "");
    expect(names(page)).toEqual(names(capturedBody));
    // With the same figures the page is the captured page, byte for byte (except dcc_io_rate).
    expect(page.replace("dcc_io_rate -1", "dcc_io_rate 0")).toBe(capturedBody);
  });

  it("gives Prometheus text with the job counters and the histogram", () => {
    const stats = new ServerStats(() => ({ running: 1, queued: 2, connections: 3 }), 4);
    stats.record({
      result: "COMPILE_ERROR",
      client: "x",
      status: 256,
      ret: 0,
      timeMs: 5,
      compileMs: 300,
      compiler: "gcc",
      input: "a.c",
      bytesIn: 1,
      bytesOut: 2,
    });
    const text = renderPrometheus(stats.snapshot(), sys);
    stats.close();
    expect(text).toContain('distcc_server_jobs_total{result="COMPILE_ERROR"} 1');
    expect(text).toContain("distcc_server_jobs_queued 2");
    expect(text).toContain('distcc_server_compile_seconds_bucket{le="0.5"} 1');
    expect(text).toContain('distcc_server_compile_seconds_bucket{le="0.25"} 0');
    expect(text).toContain('distcc_server_compiler_jobs_total{compiler="gcc",outcome="failed"} 1');
  });

  it("keeps client-chosen names on one line of the page", () => {
    const stats = new ServerStats(() => ({ running: 0, queued: 0, connections: 0 }), 1);
    stats.record({
      result: "COMPILE_OK",
      client: "x",
      status: 0,
      ret: 0,
      timeMs: 9,
      compileMs: 9,
      compiler: "gcc",
      input: "evil\ndcc_compile_ok 999.c",
      bytesIn: 0,
      bytesOut: 0,
    });
    const page = renderDistccdStats(stats.snapshot(), sys);
    stats.close();
    expect(page).toContain("dcc_longest_job evil?dcc_compile_ok?999.c\n");
    expect(page).not.toContain("dcc_compile_ok 999");
  });
});
