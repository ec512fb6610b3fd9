import { describe, expect, it } from "vitest";
import { parseConfig } from "./config-file.js";
import { parseFlags } from "./flags.js";
import { helpText } from "./help.js";
import { LineLogger } from "./logger.js";
import { resolveSettings, serverOptionsFrom } from "./cli-main.js";
import { defaultSettings } from "./settings.js";

describe("sandbox and limit settings", () => {
  it("reads the flags and the config keys, and passes them to the server", () => {
    const flags = [
      "--sandbox",
      "none",
      "--max-compiler-memory",
      "512",
      "--max-compiler-cpu=30",
      "--max-client-connections",
      "8",
      "--max-client-queue",
      "4",
    ];
    expect(parseFlags(flags)).toEqual({
      sandbox: "none",
      maxCompilerMemory: 512,
      maxCompilerCpu: 30,
      maxClientConnections: 8,
      maxClientQueue: 4,
    });
    expect(parseConfig({ sandbox: "bwrap", maxCompilerMemory: 0, maxCompilerCpu: 0 })).toEqual({
      sandbox: "bwrap",
      maxCompilerMemory: 0,
      maxCompilerCpu: 0,
    });
    const options = serverOptionsFrom(resolveSettings(flags), new LineLogger({ level: "critical", stderr: false }));
    expect(options).toMatchObject({
      sandbox: "none",
      compilerLimits: { addressSpaceMiB: 512, cpuSeconds: 30 },
      maxConnectionsPerClient: 8,
      maxQueuePerClient: 4,
    });
  });

  it("defaults: sandbox auto, 2048 MiB and 600 s per compiler, a 15-minute job lifetime", () => {
    expect(defaultSettings()).toMatchObject({
      sandbox: "auto",
      maxCompilerMemory: 2048,
      maxCompilerCpu: 600,
      jobLifetime: 900,
      maxClientConnections: 32,
      maxClientQueue: 32,
    });
    expect(helpText("0")).toMatch(/--sandbox MODE\s+run each compiler in a bubblewrap sandbox/);
  });

  it("refuses bad values with the allowed ones named", () => {
    expect(() => parseFlags(["--sandbox", "maybe"])).toThrow(/--sandbox "maybe": expected one of auto, bwrap, none/);
    expect(() => parseFlags(["--max-client-connections", "0"])).toThrow(/an integer from 1 to 65535/);
    expect(() => parseConfig({ maxCompilerCpu: -1 })).toThrow(/"maxCompilerCpu" must be an integer from 0 to 86400/);
  });
});
