/**
 * `+zeroconf` in the host list: the helpers found over DNS-SD (`_distcc._tcp`, every subtype: this
 * client judges the toolchains itself), put where `+zeroconf` stands, as `address:port/jobs`
 * hosts like distcc's own zeroconf hosts file. Found ones are plain TCP hosts from then on.
 */
import { parseHostList, type HostList } from "@x/distcc-hosts";
import type { DnsSdBackend, FoundHelper, HelperBrowser } from "@x/distcc-zeroconf";

/** How the no-host-list warning ends: the way to a list with nothing typed. */
export const NO_HOSTS_HINT =
  "set DISTCC_HOSTS (or write ~/.distcc/hosts); DISTCC_HOSTS=+zeroconf finds helpers started with --zeroconf";

/** What `DISTCC_ZEROCONF_BACKEND` asks for: `avahi` or `mdns` only, else Avahi when it answers. */
function backendChoice(env: Record<string, string | undefined>): { only?: "avahi" | "mdns" } {
  const v = env.DISTCC_ZEROCONF_BACKEND?.trim().toLowerCase();
  return v === "avahi" || v === "mdns" ? { only: v } : {};
}

/** A browse of `_distcc._tcp` kept open (the agent's, for as long as it runs). */
export class ZeroconfHosts {
  private constructor(
    readonly backend: DnsSdBackend,
    readonly browser: HelperBrowser,
    /** Why the avahi-daemon is not used, when it is not. */
    readonly fallbackReason: string | undefined,
  ) {}

  static async open(env: Record<string, string | undefined>): Promise<ZeroconfHosts> {
    // A file of its own in dist (tsup.config.ts): loaded by +zeroconf only.
    const { HelperBrowser, openDnsSd } = await import("./zeroconf-libs.js");
    const { backend, fallbackReason } = await openDnsSd(backendChoice(env));
    try {
      return new ZeroconfHosts(backend, await HelperBrowser.start(backend), fallbackReason);
    } catch (err) {
      await backend.close();
      throw err;
    }
  }

  helpers(): FoundHelper[] {
    return this.browser.helpers();
  }

  /** "Avahi (avahi 0.8) on the system D-Bus", with why not when mDNS runs here instead. */
  describe(): string {
    return this.fallbackReason ? `${this.backend.description}: ${this.fallbackReason}` : this.backend.description;
  }

  async close(): Promise<void> {
    await this.browser.stop();
    await this.backend.close();
  }
}

/** Browses once (until the first answers are in), for commands that do not run in the agent. */
export async function discoverOnce(
  env: Record<string, string | undefined>,
): Promise<{ helpers: FoundHelper[]; backend: string }> {
  const z = await ZeroconfHosts.open(env);
  try {
    await z.browser.settled;
    return { helpers: z.helpers(), backend: z.describe() };
  } finally {
    await z.close();
  }
}

/** The list with the found helpers in the place of `+zeroconf` (a helper named in the list already is not added again). */
export function withFoundHelpers(list: HostList, helpers: readonly FoundHelper[]): HostList {
  if (!list.zeroconf) return list;
  const named = new Set(list.hosts.flatMap((h) => (h.kind === "tcp" ? [`${h.host}:${h.port}`] : [])));
  const specs = helpers.filter((h) => !named.has(`${h.host}:${h.port}`)).map((h) => h.spec);
  const found = specs.length > 0 ? parseHostList(specs.join(" ")).hosts : [];
  const at = Math.min(list.zeroconfIndex ?? list.hosts.length, list.hosts.length);
  return { ...list, hosts: [...list.hosts.slice(0, at), ...found, ...list.hosts.slice(at)] };
}
