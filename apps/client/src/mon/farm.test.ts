import { describe, expect, it } from "vitest";
import { parseHostList } from "@x/distcc-hosts";
import { judgeStatsBody, serverStatsSchema, type FarmAnswer } from "./farm-stats.js";
import { formatCompilers, formatFarm, formatUptime } from "./farm-view.js";
import { farmTargets } from "./farm.js";
import { parseStatsSetting, statsTargets, StatsSettingError } from "./stats-targets.js";

const urls = (hosts: string, setting?: string): string[][] =>
  statsTargets(parseHostList(hosts).hosts, parseStatsSetting(setting)).map((t) => [t.name, t.url]);

describe("where the farm view asks each helper (DISTCC_STATS)", () => {
  it("asks the server's default stats port 3633 on every helper, this machine left out, each helper once", () => {
    expect(urls("helper1/8,lzo helper1,cpp,lzo helper2:3700 @build3 localhost/2 [fd00::7]:3632")).toEqual([
      ["helper1", "http://helper1:3633/json"],
      ["helper2:3700", "http://helper2:3633/json"],
      ["build3", "http://build3:3633/json"],
      ["fd00::7", "http://[fd00::7]:3633/json"],
    ]);
  });

  it("a bare port changes the default; HOST:PORT beats HOST; a URL is used as written", () => {
    expect(urls("a b:3700 b:3800 c", "9000, b=9100 b:3800=9200 c=https://stats.example/c.json")).toEqual([
      ["a", "http://a:9000/json"],
      ["b:3700", "http://b:9100/json"],
      ["b:3800", "http://b:9200/json"],
      ["c", "https://stats.example/c.json"],
    ]);
    expect(urls("[::1]:3700", "[::1]:3700=3701")).toEqual([["[::1]:3700", "http://[::1]:3701/json"]]);
  });

  it("helpers found by +zeroconf are asked on the stats port they advertise (x_stats), DISTCC_STATS still wins", () => {
    const found = [{ spec: "10.0.0.1:3700/4", statsPort: 3701 }, { spec: "10.0.0.2/2" }];
    const at = (env: Record<string, string>): string[][] => {
      const where = farmTargets(env, found);
      if ("problem" in where) throw new Error(where.problem);
      return where.targets.map((t) => [t.name, t.url]);
    };
    expect(at({ DISTCC_HOSTS: "fixed +zeroconf" })).toEqual([
      ["fixed", "http://fixed:3633/json"],
      ["10.0.0.1:3700", "http://10.0.0.1:3701/json"],
      ["10.0.0.2", "http://10.0.0.2:3633/json"],
    ]);
    expect(at({ DISTCC_HOSTS: "+zeroconf", DISTCC_STATS: "9000 10.0.0.1=9100" })).toEqual([
      ["10.0.0.1:3700", "http://10.0.0.1:9100/json"],
      ["10.0.0.2", "http://10.0.0.2:9000/json"],
    ]);
    // Without +zeroconf in the list, what an agent found is not part of this farm.
    expect(at({ DISTCC_HOSTS: "fixed" })).toEqual([["fixed", "http://fixed:3633/json"]]);
  });

  it("an unreadable setting is a clear error naming the word and the forms it takes", () => {
    for (const bad of ["helper=70000", "helper=ftp://x/", "=3633", "helper:x=3633", "lots"]) {
      expect(() => parseStatsSetting(bad), bad).toThrow(StatsSettingError);
    }
    expect(() => parseStatsSetting("helper=ftp://x/")).toThrow(
      "DISTCC_STATS: cannot read 'helper=ftp://x/': 'ftp://x/' is neither a port nor an http:// URL (expected PORT, HOST[:PORT]=STATSPORT or HOST[:PORT]=http://...)",
    );
  });
});

const json = {
  uptimeSeconds: 4000,
  running: 3,
  queued: 1,
  maxKids: 4,
  perCompiler: {
    gcc: { jobs: 12, ok: 12, failed: 0, compileMs: 1 },
    "g++": { jobs: 3, ok: 3, failed: 0, compileMs: 1 },
  },
  system: { loadAverage: [1.5, 1, 0.5], freeSpaceMb: 100 },
  results: { COMPILE_OK: 15 },
};
const figures = serverStatsSchema.parse(json);

/** Why an answer is not figures ("" when it is). */
const why = (a: FarmAnswer): string => (a.kind === "figures" ? "" : a.why);

describe("judging a helper's /json", () => {
  it("reads our server's figures and ignores keys it does not know", () => {
    const a = judgeStatsBody(200, JSON.stringify({ ...json, somethingNew: [1] }));
    expect(a.kind).toBe("figures");
    if (a.kind === "figures")
      expect(a.figures).toMatchObject({ running: 3, queued: 1, maxKids: 4, uptimeSeconds: 4000 });
  });

  it("names what is wrong with anything else", () => {
    expect(judgeStatsBody(404, "")).toEqual({ kind: "bad-answer", why: "HTTP 404" });
    expect(judgeStatsBody(200, undefined)).toEqual({ kind: "bad-answer", why: "an answer over 256 KiB" });
    expect(judgeStatsBody(200, "argv /distccd\n<distccstats>\ndcc_tcp_accept 0\n</distccstats>\n")).toEqual({
      kind: "bad-answer",
      why: "distccd's stats page, no /json (not our server?)",
    });
    expect(why(judgeStatsBody(200, '{"running": 3,'))).toMatch(/^not JSON \(/);
    expect(why(judgeStatsBody(200, JSON.stringify({ ...json, running: "lots" })))).toMatch(
      /^not a distcc-server \/json \(running: /,
    );
    expect(why(judgeStatsBody(200, "[]"))).toMatch(/^not a distcc-server \/json \(/);
  });
});

describe("the farm view", () => {
  it("one line per helper: its figures, or why there are none", () => {
    const text = formatFarm([
      { target: { name: "helper1", url: "http://helper1:3633/json" }, answer: { kind: "figures", figures } },
      {
        target: { name: "helper2:3700", url: "http://helper2:3701/json" },
        answer: { kind: "unreachable", why: "connection refused" },
      },
      {
        target: { name: "helper3", url: "http://helper3:3633/json" },
        answer: { kind: "bad-answer", why: "HTTP 404\u001b[2J" },
      },
      { target: { name: "helper4", url: "http://helper4:3633/json" } },
    ]);
    expect(text.split("\n")).toEqual([
      "farm: 4 helpers, 1 with figures",
      "helper        running  queue  load     uptime  compilers served  state",
      "helper1           3/4      1  1.50  1 h 6 min  gcc 12, g++ 3",
      "helper2:3700        -      -     -          -  -                 unreachable: connection refused (http://helper2:3701/json)",
      "helper3             -      -     -          -  -                 bad answer: HTTP 404?[2J (http://helper3:3633/json)",
      "helper4             -      -     -          -  -                 asking...",
      "",
    ]);
    expect(formatFarm([])).toBe("farm: no helper in the host list\n");
  });

  it("uptime and compilers stay short", () => {
    expect([formatUptime(59), formatUptime(61), formatUptime(7260), formatUptime(90_000 * 2)]).toEqual([
      "59 s",
      "1 min",
      "2 h 1 min",
      "2 d 2 h",
    ]);
    const many = Object.fromEntries(["cc", "gcc", "g++", "clang", "c++"].map((n, i) => [n, { jobs: i }]));
    expect(formatCompilers(many)).toBe("c++ 4, clang 3, g++ 2, +1 more");
    expect(formatCompilers({})).toBe("none yet");
  });
});
