import { describe, expect, it } from "vitest";
import { parseConfig } from "./config-file.js";
import { parseFlags } from "./flags.js";
import { helpText } from "./help.js";
import { LineLogger } from "./logger.js";
import { resolveSettings, serverOptionsFrom } from "./cli-main.js";
import { defaultSettings } from "./settings.js";

describe("fairness settings: per-client jobs, memory share, request rate and timeouts", () => {
  it("reads the flags and the config keys, and passes them to the server in its units", () => {
    const flags = [
      "--max-client-jobs",
      "3",
      "--max-client-request-memory",
      "128",
      "--min-request-rate=32",
      "--request-timeout",
      "120",
    ];
    expect(parseFlags(flags)).toEqual({
      maxClientJobs: 3,
      maxClientRequestMemory: 128,
      minRequestRate: 32,
      requestTimeout: 120,
    });
    expect(parseConfig({ maxClientJobs: 0, minRequestRate: 0 })).toEqual({ maxClientJobs: 0, minRequestRate: 0 });
    const options = serverOptionsFrom(resolveSettings(flags), new LineLogger({ level: "critical", stderr: false }));
    expect(options).toMatchObject({
      maxJobsPerClient: 3,
      maxRequestMemoryPerClient: 128 << 20,
      minRequestRate: 32 << 10,
      requestTimeoutMs: 120_000,
    });
  });

  it("defaults: the automatic per-address slot cap and memory share, 16 KiB/s, 300 s per request; all in --help", () => {
    expect(defaultSettings()).toMatchObject({
      maxClientJobs: 0,
      maxClientRequestMemory: 0,
      minRequestRate: 16,
      requestTimeout: 300,
    });
    const help = helpText("0");
    for (const flag of [
      "--max-client-jobs N",
      "--max-client-request-memory MB",
      "--min-request-rate KB",
      "--request-timeout SECONDS",
    ])
      expect(help).toContain(flag);
  });

  it("refuses bad values with the allowed ones named", () => {
    expect(() => parseFlags(["--request-timeout", "0"])).toThrow(/an integer from 1 to 86400/);
    expect(() => parseConfig({ maxClientJobs: -1 })).toThrow(/"maxClientJobs" must be an integer from 0 to 1024/);
  });
});
