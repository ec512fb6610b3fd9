import { findHostList, parseHostList } from "@x/distcc-hosts";
import { fetchFarmStats, type FarmRow } from "./farm-stats.js";
import { parseStatsSetting, statsTargets, type StatsTarget } from "./stats-targets.js";

// What `mon` uses of the farm, in one module it loads lazily (mon-command.ts says why).
export { fetchFarmStats } from "./farm-stats.js";
export { formatFarm } from "./farm-view.js";

/**
 * The helpers of this environment's host list and where each one's `/json` is (DISTCC_STATS,
 * stats-targets.ts), or why there is no farm to show. `zeroconfHelpers`: what `+zeroconf` stands for now.
 */
export function farmTargets(
  env: Record<string, string | undefined>,
  zeroconfHelpers: readonly { readonly spec: string; readonly statsPort?: number }[] = [],
): { targets: StatsTarget[] } | { problem: string } {
  const found = findHostList(env);
  if (!found) return { problem: "no hostlist is set: no farm to show" };
  try {
    const list = parseHostList(found.text, { source: found.source });
    // +zeroconf: the helpers the agent found (its status), where +zeroconf stands.
    const at = list.zeroconf ? Math.min(list.zeroconfIndex ?? list.hosts.length, list.hosts.length) : -1;
    const discovered =
      at < 0 ? [] : zeroconfHelpers.map((helper) => ({ helper, hosts: parseHostList(helper.spec).hosts }));
    const hosts = [
      ...list.hosts.slice(0, Math.max(at, 0)),
      ...discovered.flatMap((d) => d.hosts),
      ...list.hosts.slice(Math.max(at, 0)),
    ];
    // Where the found helpers said their stats are (our servers' `x_stats` TXT key).
    const advertised = new Map<string, number>();
    for (const { helper, hosts: entries } of discovered) {
      for (const h of entries)
        if (h.kind === "tcp" && helper.statsPort !== undefined) advertised.set(`${h.host}:${h.port}`, helper.statsPort);
    }
    return { targets: statsTargets(hosts, parseStatsSetting(env.DISTCC_STATS), advertised) };
  } catch (err) {
    // A host list or DISTCC_STATS that does not parse: said in the view; the agent's part still shows.
    return { problem: (err as Error).message };
  }
}

/**
 * The farm's latest figures for the live view: a round of questions starts at each redraw unless
 * one is still out, so a slow helper delays its own line, never the redraw.
 */
export class FarmPoller {
  rows: FarmRow[];
  private round: Promise<void> | undefined;

  constructor(
    private readonly targets: readonly StatsTarget[],
    private readonly signal?: AbortSignal,
  ) {
    this.rows = targets.map((target) => ({ target }));
  }

  /** Starts a round if none is out; resolves when the current round ends. */
  poll(): Promise<void> {
    this.round ??= fetchFarmStats(this.targets, this.signal ? { signal: this.signal } : {})
      .then((rows) => {
        this.rows = rows;
      })
      .catch((err: unknown) => {
        // Only the caller's abort (SIGINT/SIGTERM) rejects a round: nothing to show any more.
        if ((err as Error).name !== "AbortError") throw err;
      })
      .finally(() => {
        this.round = undefined;
      });
    return this.round;
  }
}
