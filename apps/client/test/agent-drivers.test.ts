// The agent's schedulers: one per host list, and a `+zeroconf` list changes with every helper that
// comes or goes. Stale ones must not pile up (nor stay in `mon`), busy ones must finish their jobs.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseHostList } from "@x/distcc-hosts";
import { AgentState } from "../src/agent/agent-state.js";
import { agentPaths } from "../src/agent-paths.js";
import { clientOptions } from "../src/env-options.js";
import { withFoundHelpers } from "../src/zeroconf-hosts.js";
import type { FoundHelper } from "@x/distcc-zeroconf";

const helper = (n: number): FoundHelper => ({
  spec: `10.0.0.${n}:3632/2`,
  host: `10.0.0.${n}`,
  port: 3632,
  limit: 2,
  name: `distcc@h${n}`,
  txt: {},
});

describe("AgentState.placement with +zeroconf lists that change", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function agent(): { state: AgentState; env: Record<string, string>; places(): string[] } {
    const dir = mkdtempSync(join(tmpdir(), "agent-drivers-"));
    dirs.push(dir);
    const env = { DISTCC_DIR: dir };
    const paths = agentPaths(env);
    mkdirSync(paths.agentDir, { recursive: true, mode: 0o700 });
    const state = new AgentState(paths);
    return {
      state,
      env,
      places: () =>
        state.monitor
          .status()
          .places.map((p) => p.name ?? p.id)
          .filter((n) => n.startsWith("10."))
          .sort(),
    };
  }

  it("drops the idle scheduler of a superseded list (and its places from mon), keeps a busy one until its job ends", async () => {
    const { state, env, places } = agent();
    const opts = clientOptions(env);
    const zeroconf = parseHostList("+zeroconf");
    const plain = parseHostList("10.0.0.9:3632/2");
    const plainDriver = state.placement(plain, env, opts);

    const one = withFoundHelpers(zeroconf, [helper(1)]);
    const first = state.placement(one, env, opts);
    const { lease } = await first.submit({ inputBytes: 100 }, new AbortController().signal);

    // A second helper joins: a new list, a new scheduler; the first still has a job in flight.
    const two = withFoundHelpers(zeroconf, [helper(1), helper(2)]);
    const second = state.placement(two, env, opts);
    expect(second).not.toBe(first);
    expect(state.placement(two, env, opts)).toBe(second);
    expect(first.idle).toBe(false);
    first.finish(lease, { ok: true });
    expect(first.idle).toBe(true);

    // The next job finds the first idle and superseded: gone, and with it helper 1's place of that list.
    state.placement(two, env, opts);
    expect(state.placement(one, env, opts)).not.toBe(first);

    // Helper 1 leaves for good: the lists naming it are stale once idle, mon no longer shows it.
    state.placement(withFoundHelpers(zeroconf, [helper(2)]), env, opts);
    expect(places()).toEqual(["10.0.0.2:3632", "10.0.0.9:3632"]);

    // A list the user typed is kept for a switch back (its backoff and slots with it).
    expect(state.placement(plain, env, opts)).toBe(plainDriver);
    state.close();
  });
});
