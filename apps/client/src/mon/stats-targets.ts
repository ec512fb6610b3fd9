import { DistccError } from "@x/distcc-errors";
import { z } from "zod";
import type { ClientErrorCode } from "../errors.js";
import { DEFAULT_PORT, type HostEntry } from "@x/distcc-hosts";

/** distccd's and our server's default `--stats-port`: what a helper started with plain `--stats` serves. */
const DEFAULT_STATS_PORT = 3633;

/** One helper of the farm and where its `/json` is. */
export interface StatsTarget {
  /** How the view names it: the host, with its port when not distcc's 3632. */
  readonly name: string;
  readonly url: string;
}

/** DISTCC_STATS cannot be read: said in the view (nothing else is lost). */
export class StatsSettingError extends DistccError<ClientErrorCode> {
  constructor(message: string) {
    super("DISTCC_CLIENT_ERR_STATS_SETTING", message);
  }
}

const portSchema = z.coerce.number().int().min(1).max(65535);
const urlSchema = z.url({ protocol: /^https?$/ });

interface StatsOverride {
  host: string;
  /** Undefined: every entry of that host, whatever its port. */
  port?: number;
  /** A port on that host, or a whole URL. */
  stats: { port: number } | { url: string };
}

export interface StatsSetting {
  /** The port asked on every helper not named below (DEFAULT_STATS_PORT). */
  defaultPort: number;
  overrides: StatsOverride[];
}

function bad(entry: string, why: string): StatsSettingError {
  return new StatsSettingError(
    `DISTCC_STATS: cannot read '${entry}': ${why} (expected PORT, HOST[:PORT]=STATSPORT or HOST[:PORT]=http://...)`,
  );
}

/** `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`. */
function parseKey(entry: string, key: string): { host: string; port?: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(.*))?$/.exec(key);
  if (!m) throw bad(entry, "no host before '='");
  const host = m[1] ?? m[2] ?? "";
  if (m[3] === undefined) return { host };
  const port = portSchema.safeParse(m[3]);
  if (!port.success) throw bad(entry, `'${m[3]}' is not a port`);
  return { host, port: port.data };
}

/**
 * DISTCC_STATS: where the helpers' statistics are, for `mon`. Words separated by blanks or commas:
 * a bare `PORT` changes the stats port asked on every helper (3633, the server's default); `HOST=PORT`
 * or `HOST:PORT=PORT` names one helper's (the second form when several servers share a machine);
 * `HOST=http://...` a whole URL (a proxy, another path).
 */
export function parseStatsSetting(text: string | undefined): StatsSetting {
  const setting: StatsSetting = { defaultPort: DEFAULT_STATS_PORT, overrides: [] };
  for (const entry of (text ?? "").split(/[\s,]+/).filter(Boolean)) {
    const eq = entry.indexOf("=");
    if (eq < 0) {
      const port = portSchema.safeParse(entry);
      if (!port.success) throw bad(entry, "not a port");
      setting.defaultPort = port.data;
      continue;
    }
    const key = parseKey(entry, entry.slice(0, eq));
    const value = entry.slice(eq + 1);
    if (/^\d+$/.test(value)) {
      const port = portSchema.safeParse(value);
      if (!port.success) throw bad(entry, `'${value}' is not a port`);
      setting.overrides.push({ ...key, stats: { port: port.data } });
    } else {
      const url = urlSchema.safeParse(value);
      if (!url.success) throw bad(entry, `'${value}' is neither a port nor an http:// URL`);
      setting.overrides.push({ ...key, stats: { url: url.data } });
    }
  }
  return setting;
}

function hostInUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * The helpers of a host list and the URL of each one's `/json`: `localhost` entries are left out
 * (this machine is the agent's own view), and entries that name the same helper twice (`h/8,lzo` and
 * `h,cpp`) give one row. An override for `HOST:PORT` wins over one for `HOST`, both over the port a
 * helper found by `+zeroconf` advertised (`advertised`, `host:port` -> stats port), that over the default.
 */
export function statsTargets(
  hosts: readonly HostEntry[],
  setting: StatsSetting,
  advertised: ReadonlyMap<string, number> = new Map(),
): StatsTarget[] {
  const targets = new Map<string, StatsTarget>();
  for (const h of hosts) {
    if (h.kind === "local") continue;
    const port = h.kind === "tcp" ? h.port : undefined;
    const exact = setting.overrides.find((o) => o.host === h.host && o.port !== undefined && o.port === port);
    const anyPort = setting.overrides.find((o) => o.host === h.host && o.port === undefined);
    const told = port !== undefined ? advertised.get(`${h.host}:${port}`) : undefined;
    const stats = (exact ?? anyPort)?.stats ?? { port: told ?? setting.defaultPort };
    const url = "url" in stats ? stats.url : `http://${hostInUrl(h.host)}:${stats.port}/json`;
    const name = port !== undefined && port !== DEFAULT_PORT ? `${hostInUrl(h.host)}:${port}` : h.host;
    if (!targets.has(url)) targets.set(url, { name, url });
  }
  return [...targets.values()];
}
