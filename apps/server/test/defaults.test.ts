// The server's defaults are written once (src/defaults.ts). These tests fail when --help, the
// config file's schema, the CLI's settings and the library's fallbacks stop telling the same numbers.
import { afterAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { configJsonSchema, parseConfig } from "../src/config-file.js";
import { resolveSettings, serverOptionsFrom } from "../src/cli-main.js";
import { SERVER_DEFAULTS, SERVER_OPTION_DEFAULTS } from "../src/defaults.js";
import { effectiveOptions } from "../src/effective-options.js";
import { helpText } from "../src/help.js";
import { LineLogger } from "../src/logger.js";
import { defaultSettings, OPTION_SPECS } from "../src/settings.js";
import { startTestServer, type TestServer } from "./helpers.js";

const quiet = (): LineLogger => new LineLogger({ level: "critical", stderr: false });
const defaulted = OPTION_SPECS.filter((s) => s.key in SERVER_DEFAULTS && s.kind.type !== "bool");
const defaultOf = (key: string): unknown => (SERVER_DEFAULTS as Readonly<Record<string, unknown>>)[key];

describe("the server's defaults, one object read by the flags, the config file and the library", () => {
  it("are the values distcc-server has always had", () => {
    // Pinned on purpose: changing a default is a change of behaviour, made here deliberately.
    expect(SERVER_DEFAULTS).toMatchObject({
      port: 3632,
      nice: 5,
      jobLifetime: 900,
      lifetime: 0,
      readTimeout: 60,
      maxConnections: 256,
      maxQueue: 128,
      maxRequestMemory: 1024,
      maxClientRequestMemory: 0,
      minRequestRate: 16,
      requestTimeout: 300,
      logLevel: "notice",
      statsPort: 3633,
      cacheSize: 128,
      sandbox: "auto",
      maxCompilerMemory: 2048,
      maxCompilerCpu: 600,
      maxCompilerOutput: 1024,
      maxJobProcesses: 256,
      maxJobMemory: 4096,
      maxClientConnections: 32,
      maxClientQueue: 32,
      maxClientJobs: 0,
    });
    expect(SERVER_OPTION_DEFAULTS).toEqual({
      port: 3632,
      maxConnections: 256,
      maxQueue: 128,
      maxRequestMemory: 1 << 30,
      maxRequestMemoryPerClient: 0,
      minRequestRate: 16 * 1024,
      requestTimeoutMs: 300_000,
      readTimeoutMs: 60_000,
      jobLifetimeMs: 900_000,
      compilerLimits: { addressSpaceMiB: 2048, cpuSeconds: 600, fileSizeMiB: 1024 },
      jobBounds: { processes: 256, memoryMiB: 4096 },
      maxConnectionsPerClient: 32,
      maxQueuePerClient: 32,
      maxJobsPerClient: 0,
      nativeSpawn: true,
      pipe: true,
      sandbox: "auto",
      headerTimeoutMs: 15_000,
      bodyStartTimeoutMs: 60_000,
      requestRateWindowMs: 10_000,
      memoryEvictIdleMs: 1000,
      closeGraceMs: 10_000,
    });
    expect(Object.isFrozen(SERVER_DEFAULTS) && Object.isFrozen(SERVER_OPTION_DEFAULTS.compilerLimits)).toBe(true);
  });

  it("no flags and no config file: the settings are the defaults, with a job slot per CPU and two more", () => {
    const settings = resolveSettings([]);
    expect(settings).toEqual(defaultSettings());
    expect(settings).toMatchObject({
      ...SERVER_DEFAULTS,
      jobs: availableParallelism() + 2,
      allow: [],
      compilerDirs: [],
    });
  });

  it("--help shows each default from the object, and no help string writes one itself", () => {
    const help = helpText("0").split("\n");
    expect(defaulted.length).toBeGreaterThan(20);
    for (const spec of defaulted) {
      const row = help.find((line) => line.includes(`${spec.flag} `));
      expect(row, spec.flag).toMatch(new RegExp(`[(; ]default ${String(defaultOf(spec.key))}\\)`));
      expect(spec.help, `${spec.flag}'s help repeats its default`).not.toMatch(/default/);
    }
  });

  it("the config file's schema carries the same defaults, and a key left out stays out of what parses", () => {
    const properties = configJsonSchema().properties as Record<string, { default?: unknown; description?: string }>;
    for (const spec of defaulted.filter((s) => !s.flagOnly)) {
      expect(properties[spec.key]?.default, spec.key).toEqual(defaultOf(spec.key));
      expect(properties[spec.key]?.description, spec.key).toMatch(/default /);
    }
    expect(properties.listen?.default).toBeUndefined();
    expect(parseConfig({})).toEqual({});
  });

  it("docs/server.md's flag tables name the same defaults", () => {
    const docs = readFileSync(new URL("../../../docs/server.md", import.meta.url), "utf8");
    for (const spec of defaulted) {
      const value = String(defaultOf(spec.key));
      if (value === "0") continue; // "0 = ..." says what zero means there, not which value is the default
      const row = docs.split("\n").find((line) => line.startsWith("| `") && line.includes(`| \`${spec.key}\` |`));
      expect(row, `docs/server.md has no row for ${spec.key}`).toBeDefined();
      expect(row, spec.key).toMatch(new RegExp(`\\b${value}\\b`));
    }
  });

  it("the CLI without flags hands the library exactly the numbers it uses when given nothing", () => {
    const fromCli = effectiveOptions(serverOptionsFrom(resolveSettings([]), quiet()));
    const fromNothing = effectiveOptions({});
    expect(fromCli).toEqual(fromNothing);
    expect(fromNothing).toMatchObject({
      port: SERVER_OPTION_DEFAULTS.port,
      jobs: availableParallelism() + 2,
      maxRequestMemoryPerClient: SERVER_OPTION_DEFAULTS.maxRequestMemory / 2,
      maxJobsPerClient: availableParallelism() + 2,
      sendTimeoutMs: SERVER_OPTION_DEFAULTS.readTimeoutMs,
    });
  });
});

describe("a server started without options", () => {
  let t: TestServer | undefined;
  afterAll(() => t?.stop());

  it("runs with the defaults, and its /json says so", async () => {
    // Only what a test must set (a free port, its own temp dir, the shared whitelist): no limit, cap or timeout.
    t = await startTestServer({ jobs: undefined, statsPort: 0 });
    expect({ ...t.server.effective, port: SERVER_OPTION_DEFAULTS.port }).toEqual(effectiveOptions({}));
    const json = (await (await fetch(`http://127.0.0.1:${t.server.statsAddress?.port}/json`)).json()) as {
      maxKids: number;
      memory: { capacity: number; perClient: number };
      jobBounds: { processes: number; memoryMiB: number };
      sandbox: { mode: string };
    };
    expect(json.maxKids).toBe(availableParallelism() + 2);
    expect(json.memory).toMatchObject({
      capacity: SERVER_OPTION_DEFAULTS.maxRequestMemory,
      perClient: SERVER_OPTION_DEFAULTS.maxRequestMemory / 2,
    });
    expect(json.jobBounds).toMatchObject(SERVER_OPTION_DEFAULTS.jobBounds);
    expect(json.sandbox.mode).toBe(SERVER_DEFAULTS.sandbox);
  });
});
