// Every distccd 3.4 option (spec 8.7 and Debian's `distccd --help`): accepted with distccd's
// meaning, or refused with a message that says why.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { resolveSettings } from "./cli-main.js";
import { parseFlags } from "./flags.js";
import type { Settings } from "./settings.js";

type Row = { argv: string[]; sets: Partial<Settings> } | { argv: string[]; refused: RegExp };

/** Keyed by distccd's spelling; each row is one way distccd's own docs or test suite write it. */
const DISTCCD_OPTIONS: Record<string, Row[]> = {
  "--help": [{ argv: ["--help"], sets: { help: true } }],
  "--version": [{ argv: ["--version"], sets: { version: true } }],
  "--show-principal": [
    { argv: ["--show-principal"], refused: /--show-principal is not supported: GSS-API .* --allow/ },
  ],
  "--pid-file": [
    { argv: ["--pid-file", "/run/d.pid"], sets: { pidFile: "/run/d.pid" } },
    { argv: ["-P", "/run/d.pid"], sets: { pidFile: "/run/d.pid" } },
  ],
  "--nice": [
    { argv: ["--nice", "10"], sets: { nice: 10 } },
    { argv: ["-N", "3"], sets: { nice: 3 } },
  ],
  "--user": [{ argv: ["--user", "distccd"], sets: { user: "distccd" } }],
  "--jobs": [
    { argv: ["--jobs", "4"], sets: { jobs: 4 } },
    { argv: ["-j", "4"], sets: { jobs: 4 } },
    { argv: ["-j4"], sets: { jobs: 4 } },
  ],
  "--job-lifetime": [{ argv: ["--job-lifetime", "30"], sets: { jobLifetime: 30 } }],
  "--lifetime": [
    { argv: ["--lifetime=60"], sets: { lifetime: 60 } },
    { argv: ["--lifetime", "10"], sets: { lifetime: 10 } },
  ],
  "--port": [
    { argv: ["--port", "3700"], sets: { port: 3700 } },
    { argv: ["-p", "3700"], sets: { port: 3700 } },
  ],
  "--listen": [{ argv: ["--listen", "127.0.0.1"], sets: { listen: "127.0.0.1" } }],
  "--allow": [{ argv: ["--allow", "10.0.0.0/8", "-a", "127.0.0.1"], sets: { allow: ["10.0.0.0/8", "127.0.0.1"] } }],
  "--allow-private": [{ argv: ["--allow-private"], sets: { allowPrivate: true } }],
  "--auth": [{ argv: ["--auth"], refused: /--auth is not supported: GSS-API \(Kerberos\) authentication .* ssh mode/ }],
  "--blacklist": [
    {
      argv: ["--blacklist=/etc/distcc/deny"],
      refused: /--blacklist is not supported: its FILE lists GSS-API principals/,
    },
  ],
  "--whitelist": [
    {
      argv: ["--whitelist", "/etc/distcc/ok"],
      refused: /--whitelist is not supported: its FILE lists GSS-API principals/,
    },
  ],
  "--stats": [{ argv: ["--stats"], sets: { stats: true } }],
  "--stats-port": [{ argv: ["--stats-port", "3701"], sets: { statsPort: 3701 } }],
  "--zeroconf": [{ argv: ["--zeroconf"], sets: { zeroconf: true } }],
  "--log-level": [
    { argv: ["--log-level=info"], sets: { logLevel: "info" } },
    { argv: ["--log-level", "warning"], sets: { logLevel: "warning" } },
  ],
  "--verbose": [{ argv: ["--verbose"], sets: { logLevel: "debug" } }],
  "--no-detach": [{ argv: ["--no-detach"], sets: { noDetach: true } }],
  "--log-file": [
    { argv: ["--log-file=/tmp/d.log"], sets: { logFile: "/tmp/d.log" } },
    { argv: ["--log-file", "/tmp/d.log"], sets: { logFile: "/tmp/d.log" } },
  ],
  "--log-stderr": [{ argv: ["--log-stderr"], sets: { logStderr: true } }],
  "--wizard": [
    { argv: ["--wizard"], sets: { logStderr: true, logLevel: "debug", daemon: true, noDetach: true } },
    { argv: ["-W"], sets: { logStderr: true, logLevel: "debug", daemon: true, noDetach: true } },
  ],
  "--inetd": [{ argv: ["--inetd"], sets: { inetd: true } }],
  "--daemon": [{ argv: ["--daemon"], sets: { daemon: true } }],
  "--no-fork": [{ argv: ["--no-fork"], sets: {} }],
  "--no-fifo": [{ argv: ["--no-fifo"], sets: {} }],
  "--enable-tcp-insecure": [{ argv: ["--enable-tcp-insecure"], sets: { insecureRequested: true } }],
  "--make-me-a-botnet": [{ argv: ["--make-me-a-botnet"], sets: { insecureRequested: true } }],
};

describe("every distccd option", () => {
  it("the table names every option of the installed distccd's --help and of spec 8.7", () => {
    const help = execFileSync("distccd", ["--help"], { encoding: "utf8" });
    const fromHelp = new Set([...help.matchAll(/(?:^|[\s,])(--[a-z][a-z-]+)/gm)].map((m) => m[1] as string));
    // Spec 8.7 adds the ones --help leaves out.
    for (const extra of [
      "--lifetime",
      "--allow-private",
      "--no-fork",
      "--no-fifo",
      "--enable-tcp-insecure",
      "--make-me-a-botnet",
    ])
      fromHelp.add(extra);
    expect(fromHelp.size).toBeGreaterThan(25);
    expect([...fromHelp].filter((o) => !(o in DISTCCD_OPTIONS))).toEqual([]);
  });

  for (const [option, rows] of Object.entries(DISTCCD_OPTIONS)) {
    for (const row of rows) {
      it(`${row.argv.join(" ")}`, () => {
        if ("refused" in row) {
          expect(() => parseFlags(row.argv)).toThrow(
            expect.objectContaining({
              code: "DISTCC_SERVER_ERR_UNSUPPORTED",
              message: expect.stringMatching(row.refused),
            }),
          );
        } else {
          expect(parseFlags(row.argv), option).toEqual(row.sets);
        }
      });
    }
  }

  it("the suite's daemon command line (testdistcc.py) is read as distccd reads it", () => {
    const argv =
      "--verbose --lifetime=60 --daemon --log-file /tmp/x/distccd.log --pid-file /tmp/x/daemonpid.tmp --port 42000 --allow 127.0.0.1 --enable-tcp-insecure".split(
        " ",
      );
    expect(parseFlags(argv)).toEqual({
      logLevel: "debug",
      lifetime: 60,
      daemon: true,
      logFile: "/tmp/x/distccd.log",
      pidFile: "/tmp/x/daemonpid.tmp",
      port: 42000,
      allow: ["127.0.0.1"],
      insecureRequested: true,
    });
  });

  it("bad values are refused as distccd refuses them: a bad --allow mask and a non-numeric --lifetime", () => {
    expect(() => resolveSettings(["--allow", "10.9.0.0/33"])).toThrow(
      expect.objectContaining({ code: "DISTCC_SERVER_ERR_ALLOW" }),
    );
    expect(() => parseFlags(["--lifetime=abc"])).toThrow(/--lifetime "abc": expected an integer/);
    expect(() => parseFlags(["--lifetime=-1"])).toThrow(/--lifetime "-1": expected an integer from 0/);
    expect(() => parseFlags(["--no-fork=1"])).toThrow(/--no-fork takes no value/);
  });
});
