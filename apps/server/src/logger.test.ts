import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { LineLogger, escapeControl } from "./logger.js";
import { ServerStats } from "./stats.js";

describe("LineLogger", () => {
  it("writes distccd-style lines, filters by level, and client text cannot forge lines", () => {
    const dir = makeTempDir("logger-");
    try {
      const file = join(dir.path, "log");
      const logger = new LineLogger({ file, level: "notice", pid: 42 });
      logger.log("info", "x", "hidden");
      logger.log("notice", "job_summary", "client: 1.2.3.4:5 COMPILE_OK gcc a.c\ndistccd[1] (fake) forged");
      logger.log("error", "main", "bad");
      logger.close();
      expect(readFileSync(file, "utf8")).toBe(
        "distcc-server[42] (job_summary) client: 1.2.3.4:5 COMPILE_OK gcc a.c\\x0adistccd[1] (fake) forged\n" +
          "distcc-server[42] (main) ERROR: bad\n",
      );
      expect(escapeControl("a\tb\x7f")).toBe("a\\x09b\\x7f");
    } finally {
      dir.remove();
    }
  });
});

describe("ServerStats", () => {
  it("caps the distinct reasons and compiler names it keeps (they carry client-chosen text)", () => {
    const stats = new ServerStats(() => ({ running: 0, queued: 0, connections: 0 }), 1);
    for (let i = 0; i < 1000; i++) {
      stats.record({
        result: "OTHER",
        reason: `compiler not allowed: cc${i}`,
        client: "x",
        status: 0,
        ret: 0,
        timeMs: 0,
        compileMs: 0,
        bytesIn: 0,
        bytesOut: 0,
      });
      stats.record({
        result: "COMPILE_OK",
        client: "x",
        status: 0,
        ret: 0,
        timeMs: 1,
        compileMs: 1,
        compiler: `gcc${i}`,
        input: "a.c",
        bytesIn: 0,
        bytesOut: 0,
      });
    }
    const snap = stats.snapshot();
    stats.close();
    expect(Object.keys(snap.reasons).length).toBeLessThanOrEqual(201);
    expect(snap.reasons["(others)"]).toBe(800);
    expect(Object.keys(snap.perCompiler).length).toBeLessThanOrEqual(201);
    expect(snap.perCompiler["(others)"]?.jobs).toBe(800);
  });
});
