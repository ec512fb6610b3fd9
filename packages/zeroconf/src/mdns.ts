/**
 * DNS-SD from this process (bonjour-service, over multicast-dns): for machines without an
 * avahi-daemon. The socket shares UDP 5353 (SO_REUSEADDR) with any other mDNS program here.
 */
import type { Bonjour as BonjourType, Service as BonjourService } from "bonjour-service";
import { ZeroconfError } from "./errors.js";
import type { BrowseEvents, Browsing, DnsSdBackend, FoundService, Registration, ServiceToPublish } from "./types.js";

export interface MdnsOptions {
  /** How long `settled` waits for the first answers (default 1500 ms: mDNS answers within a second). */
  settleMs?: number;
}

/** `_distcc._tcp` -> { type: "distcc", protocol: "tcp" } (bonjour-service adds the underscores). */
function splitType(type: string): { type: string; protocol: "tcp" | "udp" } {
  const m = /^_([^.]+)\._(tcp|udp)$/.exec(type);
  if (!m) throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", `not a DNS-SD service type: ${type}`);
  return { type: m[1]!, protocol: m[2] as "tcp" | "udp" };
}

export async function openMdns(options: MdnsOptions = {}): Promise<DnsSdBackend> {
  // A CommonJS module: bundled into a chunk of its own, its exports may be under `default` only.
  const loaded = (await import("bonjour-service")) as Partial<typeof import("bonjour-service")> & { default?: typeof import("bonjour-service") };
  const Bonjour = loaded.Bonjour ?? loaded.default?.Bonjour;
  if (!Bonjour) throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", "bonjour-service has no Bonjour export");
  let bonjour: BonjourType;
  try {
    // A socket error after the start (interface gone) only means nothing more is heard or sent:
    // discovery is a convenience, the build goes on with the hosts it has.
    bonjour = new Bonjour({}, () => undefined);
  } catch (err) {
    throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", `cannot open an mDNS socket: ${(err as Error).message}`, { cause: err });
  }
  return new MdnsBackend(bonjour, options.settleMs ?? 1500);
}

class MdnsBackend implements DnsSdBackend {
  readonly kind = "mdns" as const;
  readonly description = "mDNS from this process (bonjour-service; no avahi-daemon on the system D-Bus)";
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    private readonly bonjour: BonjourType,
    private readonly settleMs: number,
  ) {}

  async publish(service: ServiceToPublish): Promise<Registration> {
    const { type, protocol } = splitType(service.type);
    const txt: Record<string, string> = {};
    for (const entry of service.txt) {
      const eq = entry.indexOf("=");
      txt[eq < 0 ? entry : entry.slice(0, eq)] = eq < 0 ? "" : entry.slice(eq + 1);
    }
    const published: BonjourService = this.bonjour.publish({
      name: service.name,
      type,
      protocol,
      port: service.port,
      txt,
      // bonjour-service writes `_${subtype}._sub.`: it wants the label without its underscore.
      subtypes: service.subtypes.map((s) => s.replace(/^_/, "")),
      // Its probe only logs a conflict and gives up; names are made unique by the caller instead.
      probe: false,
      disableIPv6: true,
    });
    const withdraw = async (): Promise<void> => {
      this.closers.delete(withdraw);
      // stop() sends the goodbye (TTL 0) for every record of the service.
      await new Promise<void>((resolve) => published.stop?.(() => resolve()));
    };
    this.closers.add(withdraw);
    return { name: service.name, withdraw };
  }

  async browse(type: string, events: BrowseEvents): Promise<Browsing> {
    const split = splitType(type);
    const browser = this.bonjour.find({ type: split.type, protocol: split.protocol });
    const keyOf = (s: BonjourService): string => s.fqdn || `${s.name}.${type}.local`;
    browser.on("up", (s: BonjourService) => {
      const found = toFound(s, keyOf(s));
      if (found) events.up(found);
    });
    browser.on("txt-update", (s: BonjourService) => {
      const found = toFound(s, keyOf(s));
      if (found) events.up(found);
    });
    browser.on("down", (s: BonjourService) => events.down(keyOf(s)));
    const settled = new Promise<void>((resolve) => setTimeout(resolve, this.settleMs).unref?.());
    const stop = async (): Promise<void> => {
      this.closers.delete(stop);
      browser.stop();
    };
    this.closers.add(stop);
    return { settled, stop };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.closers].map((c) => c()));
    await new Promise<void>((resolve) => this.bonjour.destroy(() => resolve()));
  }
}

function toFound(s: BonjourService, key: string): FoundService | undefined {
  // An IPv4 address of its A records, else the address the answer came from.
  const address = (s.addresses ?? []).find((a) => !a.includes(":")) ?? s.referer?.address;
  if (!address) return undefined;
  const txt: Record<string, string> = {};
  for (const [k, v] of Object.entries((s.txt ?? {}) as Record<string, unknown>)) txt[k.toLowerCase()] = Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
  return { key, name: s.name, host: s.host, address, port: s.port, txt };
}
