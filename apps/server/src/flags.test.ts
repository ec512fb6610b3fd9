import { describe, expect, it } from "vitest";
import { parseFlags } from "./flags.js";
import { parseConfig } from "./config-file.js";

describe("parseFlags", () => {
  it("reads distccd's flags in all their spellings", () => {
    expect(
      parseFlags([
        "--no-detach",
        "--daemon",
        "--allow",
        "127.0.0.1",
        "-a",
        "10.0.0.0/8",
        "--listen",
        "127.0.0.1",
        "--port=3700",
        "-j4",
        "--nice",
        "0",
        "--log-file",
        "/tmp/x.log",
        "--log-level",
        "info",
        "--stats",
        "--stats-port",
        "3701",
        "--job-lifetime",
        "30",
        "-P",
        "/tmp/p.pid",
        "--verbose",
      ]),
    ).toEqual({
      noDetach: true,
      daemon: true,
      allow: ["127.0.0.1", "10.0.0.0/8"],
      listen: "127.0.0.1",
      port: 3700,
      jobs: 4,
      nice: 0,
      logFile: "/tmp/x.log",
      logLevel: "debug",
      stats: true,
      statsPort: 3701,
      jobLifetime: 30,
      pidFile: "/tmp/p.pid",
    });
  });

  it("names the flag and the allowed values on errors", () => {
    expect(() => parseFlags(["--jobs", "0"])).toThrow(/--jobs "0": expected an integer from 1 to 1024/);
    expect(() => parseFlags(["--log-level", "loud"])).toThrow(/one of critical, error, warning, notice, info, debug/);
    expect(() => parseFlags(["--port"])).toThrow(/--port needs a value/);
    expect(() => parseFlags(["--frobnicate"])).toThrow(/unknown option "--frobnicate"/);
    expect(() => parseFlags(["--stats=yes"])).toThrow(/takes no value/);
  });
});

describe("parseConfig", () => {
  it("accepts the settings keys", () => {
    expect(
      parseConfig({ jobs: 3, allow: ["192.168.0.0/16"], logLevel: "debug", compilerDirs: ["/opt/x/bin"] }),
    ).toEqual({
      jobs: 3,
      allow: ["192.168.0.0/16"],
      logLevel: "debug",
      compilerDirs: ["/opt/x/bin"],
    });
  });

  it("names every bad key and what is allowed", () => {
    expect(() => parseConfig({ jobs: 0 }, "c.json")).toThrow(
      'c.json: "jobs" must be an integer from 1 to 1024 (got 0)',
    );
    expect(() => parseConfig({ logLevel: "loud" })).toThrow(/"logLevel" must be one of critical/);
    expect(() => parseConfig({ allow: ["ok", 3] })).toThrow(/"allow\[1\]" must be a list of non-empty strings/);
    expect(() => parseConfig({ jbos: 3 })).toThrow(/unknown key\(s\) "jbos"; allowed keys: port, listen/);
    expect(parseConfig({ maxRequestMemory: 512 })).toEqual({ maxRequestMemory: 512 });
    // --lifetime has its key too, checked like the flag.
    expect(parseConfig({ lifetime: 60 })).toEqual({ lifetime: 60 });
    expect(() => parseConfig({ lifetime: -1 })).toThrow(/"lifetime" must be an integer from 0/);
    // --zeroconf too (docs/zeroconf.md).
    expect(parseConfig({ zeroconf: true })).toEqual({ zeroconf: true });
    expect(() => parseConfig({ zeroconf: "yes" })).toThrow(/"zeroconf" must be true or false/);
    expect(() => parseConfig([1])).toThrow(/one JSON object/);
  });

  it("takes the header cache's directory and bound as flags and as keys", () => {
    expect(parseFlags(["--cache-dir", "/var/cache/distcc-server/headers", "--cache-size=512"])).toEqual({
      cacheDir: "/var/cache/distcc-server/headers",
      cacheSize: 512,
    });
    expect(parseConfig({ cacheDir: "/srv/h", cacheSize: 0 })).toEqual({ cacheDir: "/srv/h", cacheSize: 0 });
    expect(() => parseFlags(["--cache-size", "-1"])).toThrow(/--cache-size "-1": expected an integer from 0/);
  });
});
