// Differential test: a few hundred generated hosts lines through the real `distcc --show-hosts`
// and `distcc -j` and through parseHostList; every difference is reported at once.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { hasCommand, makeTempDir } from "@x/testkit";
import { HostSpecError, glibcRandom, parseHostList, totalJobs, type HostEntry } from "../src/index.js";
import { hostLineChaos, hostLineText } from "./host-line-arbitrary.js";
import { realProblem, runRealDistcc, type TracedToken } from "./real-distcc.js";

const LINES = 400;
/** Plus lines of random grammar characters, for combinations the structured generator misses. */
const CHAOS_LINES = 200;
const KIND_NAMES: Record<HostEntry["kind"], string> = { local: "localhost", tcp: "tcp", ssh: "ssh" };

describe("differential against the real distcc 3.4", () => {
  const dirs: { remove(): void }[] = [];
  afterAll(() => {
    for (const d of dirs) d.remove();
  });

  it(`agrees on ${LINES + CHAOS_LINES} generated lines (hosts, order, kinds, options, -j, refusal)`, async () => {
    expect(hasCommand("distcc")).toBe(true);
    const dir = makeTempDir("hosts-diff-");
    dirs.push(dir);
    const tally = { accepted: 0, refused: 0, empty: 0, randomized: 0 };
    const lines = [
      ...fc.sample(hostLineText, { numRuns: LINES, seed: 20261126 }),
      ...fc.sample(hostLineChaos, { numRuns: CHAOS_LINES, seed: 3 }),
    ];
    const mismatches: string[] = [];
    for (const line of lines) {
      const real = runRealDistcc(line, dir.path);
      let hosts: string[] | null = null;
      let jobs = "";
      let tokens: TracedToken[] = [];
      let error = "";
      try {
        const list = parseHostList(line, { extensions: false, random: glibcRandom(real.pid) });
        if (list.hosts.length > 0) {
          hosts = list.hosts.map((h) => h.spec);
          jobs = `${totalJobs(list)}\n`;
          // distcc traces tokens in parse order, before --randomize shuffles them.
          const unshuffled = list.randomize ? parseHostList(line, { extensions: false, random: () => 0 }) : list;
          tokens = unshuffled.hosts.map((h) => ({
            kind: KIND_NAMES[h.kind],
            spec: h.spec,
            options: h.kind === "local" ? [] : h.options.filter((o) => o !== "down"),
          }));
          tally.accepted++;
          if (list.randomize && list.hosts.length > 1) tally.randomized++;
        } else {
          tally.empty++;
        }
      } catch (e) {
        if (!(e instanceof HostSpecError)) throw e;
        error = e.message;
        tally.refused++;
        // Refused for the same reason as distcc (its last ERROR line names it).
        if (real.hosts === null && realProblem(real.log) !== e.problem) {
          mismatches.push(
            `${JSON.stringify(line)}: distcc refused it with ${realProblem(real.log)}, we with ${e.problem}: ${e.message}`,
          );
        }
      }
      const sameTokens = hosts === null || JSON.stringify(tokens) === JSON.stringify(real.tokens);
      if (JSON.stringify(hosts) !== JSON.stringify(real.hosts) || jobs !== real.jobs || !sameTokens) {
        mismatches.push(
          `${JSON.stringify(line)}\n  real: ${JSON.stringify(real.hosts)} -j ${JSON.stringify(real.jobs)} ${JSON.stringify(real.tokens)} ${real.log.join(" | ")}` +
            `\n  ours: ${JSON.stringify(hosts)} -j ${JSON.stringify(jobs)} ${JSON.stringify(tokens)} ${error}`,
        );
      }
    }
    expect(mismatches.join("\n")).toBe("");
    // The generator must exercise every outcome, or the agreement above means little.
    expect(tally.accepted).toBeGreaterThan(LINES / 5);
    expect(tally.refused).toBeGreaterThan(LINES / 5);
    expect(tally.empty).toBeGreaterThan(5);
    expect(tally.randomized).toBeGreaterThan(10);
    console.log("differential:", JSON.stringify(tally));
  });
});
