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
  /**
   * For tests only: the longest TTL (seconds) of the records this process publishes (bonjour-service
   * sends SRV and A at 120 s), so a browser's expiry of a killed helper can be seen in seconds.
   */
  maxTtlSeconds?: number;
}

/** A resource record as multicast-dns decodes it (the fields used here). */
interface MdnsRecord {
  name: string;
  type: string;
  ttl?: number;
}

/** bonjour-service's insides used here: its multicast-dns socket and the responder's records. */
interface BonjourInternals {
  server?: {
    mdns?: {
      on(event: "response", listener: (packet: { answers?: MdnsRecord[]; additionals?: MdnsRecord[] }) => void): void;
      removeListener(
        event: "response",
        listener: (packet: { answers?: MdnsRecord[]; additionals?: MdnsRecord[] }) => void,
      ): void;
      query(name: string, type: string): void;
    };
    registry?: Record<string, MdnsRecord[]>;
  };
}

/** RFC 6762 5.2: a cached record is asked for again at 80, 85, 90 and 95% of its TTL, and expires at 100%. */
const REFRESH_AT = [0.8, 0.85, 0.9, 0.95];

/** `_distcc._tcp` -> { type: "distcc", protocol: "tcp" } (bonjour-service adds the underscores). */
function splitType(type: string): { type: string; protocol: "tcp" | "udp" } {
  const m = /^_([^.]+)\._(tcp|udp)$/.exec(type);
  if (!m) throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", `not a DNS-SD service type: ${type}`);
  return { type: m[1]!, protocol: m[2] as "tcp" | "udp" };
}

export async function openMdns(options: MdnsOptions = {}): Promise<DnsSdBackend> {
  // A CommonJS module: bundled into a chunk of its own, its exports may be under `default` only.
  const loaded = (await import("bonjour-service")) as Partial<typeof import("bonjour-service")> & {
    default?: typeof import("bonjour-service");
  };
  const Bonjour = loaded.Bonjour ?? loaded.default?.Bonjour;
  if (!Bonjour) throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", "bonjour-service has no Bonjour export");
  let bonjour: BonjourType;
  try {
    // A socket error after the start (interface gone) only means nothing more is heard or sent:
    // discovery is a convenience, the build goes on with the hosts it has.
    bonjour = new Bonjour({}, () => undefined);
  } catch (err) {
    throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", `cannot open an mDNS socket: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const mdns = (bonjour as unknown as BonjourInternals).server?.mdns;
  if (!mdns) {
    bonjour.destroy();
    throw new ZeroconfError(
      "DISTCC_ZEROCONF_ERR_NO_BACKEND",
      "bonjour-service has no multicast-dns socket where this version expects it",
    );
  }
  return new MdnsBackend(bonjour, options.settleMs ?? 1500, options.maxTtlSeconds);
}

class MdnsBackend implements DnsSdBackend {
  readonly kind = "mdns" as const;
  readonly description = "mDNS from this process (bonjour-service; no avahi-daemon on the system D-Bus)";
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    private readonly bonjour: BonjourType,
    private readonly settleMs: number,
    private readonly maxTtlSeconds: number | undefined,
  ) {}

  private get internals(): Required<NonNullable<BonjourInternals["server"]>> {
    const server = (this.bonjour as unknown as BonjourInternals).server;
    return { mdns: server!.mdns!, registry: server?.registry ?? {} };
  }

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
    // The responder answers (and re-announces) with the very record objects it registered.
    if (this.maxTtlSeconds !== undefined) {
      for (const records of Object.values(this.internals.registry))
        for (const r of records) r.ttl = Math.min(r.ttl ?? 0, this.maxTtlSeconds);
    }
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
    const suffix = `.${type}.local`.toLowerCase();
    const { mdns } = this.internals;
    // bonjour-service forgets a service only on its goodbye: a helper killed without one would stay
    // listed for ever. Each SRV record's TTL is followed here instead (RFC 6762 5.2): asked for again
    // near its end, and the service dropped when no answer renewed it.
    const lastSrv = new Map<string, { at: number; ttl: number }>();
    const timers = new Map<string, NodeJS.Timeout[]>();
    const disarm = (fqdn: string): void => {
      for (const t of timers.get(fqdn) ?? []) clearTimeout(t);
      timers.delete(fqdn);
    };
    const arm = (fqdn: string): void => {
      disarm(fqdn);
      const seen = lastSrv.get(fqdn);
      if (!seen) return;
      const left = (fraction: number): number => Math.max(0, seen.at + fraction * seen.ttl * 1000 - Date.now());
      const list = REFRESH_AT.map((f) => setTimeout(() => mdns.query(fqdn, "SRV"), left(f)));
      // removeService emits "down" (handled below) and lets a later answer make it "up" again.
      list.push(
        setTimeout(() => (browser as unknown as { removeService(fqdn: string): void }).removeService(fqdn), left(1)),
      );
      for (const t of list) t.unref?.();
      timers.set(fqdn, list);
    };
    const onResponse = (packet: { answers?: MdnsRecord[]; additionals?: MdnsRecord[] }): void => {
      for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
        if (rr.type !== "SRV" || !rr.ttl || !rr.name.toLowerCase().endsWith(suffix)) continue;
        const fqdn = rr.name.toLowerCase();
        lastSrv.set(fqdn, { at: Date.now(), ttl: rr.ttl });
        if (timers.has(fqdn)) arm(fqdn);
      }
    };
    // Before the browser's own listener: its "up" then finds the TTL of the same answer.
    mdns.on("response", onResponse);
    const browser = this.bonjour.find({ type: split.type, protocol: split.protocol });
    const keyOf = (s: BonjourService): string => s.fqdn || `${s.name}.${type}.local`;
    const onSeen = (s: BonjourService): void => {
      const found = toFound(s, keyOf(s));
      if (s.fqdn) arm(s.fqdn.toLowerCase());
      if (found) events.up(found);
    };
    browser.on("up", onSeen);
    browser.on("txt-update", onSeen);
    browser.on("down", (s: BonjourService) => {
      if (s.fqdn) {
        disarm(s.fqdn.toLowerCase());
        lastSrv.delete(s.fqdn.toLowerCase());
      }
      events.down(keyOf(s));
    });
    const settled = new Promise<void>((resolve) => setTimeout(resolve, this.settleMs).unref?.());
    const stop = async (): Promise<void> => {
      this.closers.delete(stop);
      mdns.removeListener("response", onResponse);
      for (const fqdn of [...timers.keys()]) disarm(fqdn);
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
  for (const [k, v] of Object.entries((s.txt ?? {}) as Record<string, unknown>))
    txt[k.toLowerCase()] = Buffer.isBuffer(v) ? v.toString("utf8") : String(v);
  return { key, name: s.name, host: s.host, address, port: s.port, txt };
}
