/** One DNS-SD service to register (distcc's `_distcc._tcp`). */
export interface ServiceToPublish {
  /** Instance name, e.g. `distcc@vm` (renamed by the backend on a collision). */
  name: string;
  /** Service type, e.g. `_distcc._tcp`. */
  type: string;
  port: number;
  /** TXT strings in order, each `key=value` (at most 255 bytes each). */
  txt: readonly string[];
  /** Subtype labels without `._sub.<type>`, each starting with `_` (e.g. `_x86-64-linux-gnu--12`). */
  subtypes: readonly string[];
}

/** One resolved service seen on the network. */
export interface FoundService {
  /** Stable key of this service (instance name, type, domain). */
  key: string;
  name: string;
  host: string;
  /** The address the service was resolved to (IPv4 or IPv6 literal). */
  address: string;
  port: number;
  /** TXT `key=value` pairs (a key without `=` maps to ""). */
  txt: Record<string, string>;
}

export interface BrowseEvents {
  /** A service appeared (or changed): the whole new record. */
  up(service: FoundService): void;
  /** A service left (goodbye or expiry). */
  down(key: string): void;
}

export interface Registration {
  /** The instance name in use (after any collision rename). */
  readonly name: string;
  /** Sends the goodbye and forgets the service. */
  withdraw(): Promise<void>;
}

export interface Browsing {
  /** Resolves once the first answers are in (the backend's "all for now"), or after a short wait. */
  readonly settled: Promise<void>;
  stop(): Promise<void>;
}

/**
 * One way of speaking DNS-SD: Avahi over D-Bus, or mDNS from this process. Each instance owns its
 * connections and sockets; `close` releases them (withdrawing what it registered).
 */
export interface DnsSdBackend {
  /** "avahi" or "mdns", for `doctor` and the logs. */
  readonly kind: "avahi" | "mdns";
  /** A sentence saying what is used, e.g. "Avahi 0.8 on the system D-Bus". */
  readonly description: string;
  publish(service: ServiceToPublish): Promise<Registration>;
  browse(type: string, events: BrowseEvents): Promise<Browsing>;
  close(): Promise<void>;
}
