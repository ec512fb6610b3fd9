// Every case of the vectors captured from the real distcc 3.4: same hosts, same -j, same verdict.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { vectorPath } from "@x/testkit";
import { HostSpecError, formatHostEntry, hostListSchema, parseHostList, totalJobs } from "../src/index.js";

interface ShowHostsCase {
  DISTCC_HOSTS: string;
  show_hosts_stdout: string;
  show_hosts_stderr: string;
  j_stdout: string;
}

const cases = JSON.parse(readFileSync(vectorPath("hosts", "show-hosts.json"), "utf8")) as ShowHostsCase[];

describe("show-hosts.json vectors from real distcc", () => {
  it("has the 42 captured cases", () => {
    expect(cases.length).toBe(42);
  });

  for (const c of cases) {
    it(JSON.stringify(c.DISTCC_HOSTS), () => {
      const refused = c.show_hosts_stdout === "";
      if (c.DISTCC_HOSTS === "+zeroconf") {
        // distcc failed only because no mDNS host was found; we report the request instead.
        const list = parseHostList(c.DISTCC_HOSTS);
        expect(list.zeroconf).toBe(true);
        expect(list.hosts).toEqual([]);
        return;
      }
      const hardError = refused && /ERROR/.test(c.show_hosts_stderr) && !/Warning/.test(c.show_hosts_stderr);
      if (hardError) {
        expect(() => parseHostList(c.DISTCC_HOSTS, { extensions: false })).toThrow(HostSpecError);
        return;
      }
      // --randomize in the vector ran under some pid; order is checked in the differential test.
      const list = parseHostList(c.DISTCC_HOSTS, { random: () => 0.5 });
      hostListSchema.parse(list);
      const shown = list.hosts.map((h) => h.spec);
      const expected = c.show_hosts_stdout === "" ? [] : c.show_hosts_stdout.replace(/\n$/, "").split("\n");
      if (list.randomize) expect([...shown].sort()).toEqual([...expected].sort());
      else expect(shown).toEqual(expected);
      if (refused) {
        expect(list.warnings.map((w) => w.code)).toContain("DISTCC_WARN_NO_HOSTS");
      } else {
        expect(`${totalJobs(list)}\n`).toBe(c.j_stdout);
      }
      for (const host of list.hosts) expect(typeof formatHostEntry(host)).toBe("string");
    });
  }
});
