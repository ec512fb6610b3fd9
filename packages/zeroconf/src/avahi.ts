// Kept whole though long: entry groups, browsers, resolvers and the reconnect after a daemon
// restart share one connection's state.
/**
 * DNS-SD through the avahi-daemon over the system D-Bus (what distcc itself uses): the daemon owns
 * port 5353, answers for every program of the machine and keeps the cache, so registering and
 * browsing here never competes with it for the socket.
 */
import type { MessageBus, Message as DbusMessage } from "dbus-next";
import { ZeroconfError } from "./errors.js";
import type { BrowseEvents, Browsing, DnsSdBackend, FoundService, Registration, ServiceToPublish } from "./types.js";

const AVAHI = "org.freedesktop.Avahi";
const IF_UNSPEC = -1;
/** AVAHI_PROTO_INET: distccd registers IPv4 records only; browsing IPv4 keeps one address per helper. */
const PROTO_INET = 0;
const PROTO_UNSPEC = -1;
const ENTRY_GROUP_COLLISION = 3;
const ENTRY_GROUP_FAILURE = 4;
/** A system bus that does not answer its first call in this time is treated as absent. */
const CONNECT_TIMEOUT_MS = 2000;
/** Waits between attempts to reach the avahi-daemon again after it went away (doubling up to the last). */
const REOPEN_FIRST_MS = 500;
const REOPEN_MAX_MS = 30_000;

type DbusModule = typeof import("dbus-next");

interface Call {
  path: string;
  iface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** Rejects when `promise` has not settled in `ms` (a call on a bus whose socket closed never gets an answer). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export interface AvahiOptions {
  /** D-Bus address of the system bus (default: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket). */
  busAddress?: string;
  /** How long `settled` waits at most for Avahi's first "all for now" (default 2000 ms). */
  settleMs?: number;
}

/** Connects to the avahi-daemon; throws a ZeroconfError when there is no bus or no daemon on it. */
export async function openAvahi(options: AvahiOptions = {}): Promise<DnsSdBackend> {
  const loaded = await import("dbus-next");
  const dbus = (loaded.default ?? loaded) as DbusModule;
  // libdbus's rule for the system bus. dbus-next's systemBus() reads the environment itself and
  // takes no address; its sessionBus() connects to the address it is given, whatever the bus.
  const busAddress =
    options.busAddress ?? process.env.DBUS_SYSTEM_BUS_ADDRESS ?? "unix:path=/var/run/dbus/system_bus_socket";
  let bus: MessageBus;
  try {
    bus = dbus.sessionBus({ busAddress });
  } catch (err) {
    throw new ZeroconfError("DISTCC_ZEROCONF_ERR_NO_BACKEND", `no system D-Bus: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // No bus (no socket) is reported as an 'error' event, never as a failed call: race the two, and a
  // bus that does not answer at all.
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    bus.once("error", (err: Error) => reject(err));
    timer = setTimeout(() => reject(new Error(`no answer in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
  });
  const backend = new AvahiBackend(dbus, bus, busAddress, options.settleMs ?? 2000);
  try {
    const version = await Promise.race([backend.version(), failed]);
    clearTimeout(timer);
    backend.description = `Avahi (${version}) on the system D-Bus`;
    await backend.watchDaemon();
  } catch (err) {
    clearTimeout(timer);
    await backend.close();
    throw new ZeroconfError(
      "DISTCC_ZEROCONF_ERR_NO_BACKEND",
      `no avahi-daemon on the system D-Bus: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return backend;
}

class AvahiBackend implements DnsSdBackend {
  readonly kind = "avahi" as const;
  description = "Avahi on the system D-Bus";
  private readonly signalHandlers = new Map<string, (msg: DbusMessage) => void>();
  private readonly closers = new Set<() => Promise<void>>();
  private closed = false;
  /** Browsers being created, and the signals that came for paths not known yet meanwhile. */
  private creating = 0;
  private readonly early: DbusMessage[] = [];
  /**
   * What each browse and registration does when the avahi-daemon went away (forget its object
   * paths) and when it is back (open them again): an `apt upgrade` restarts the daemon under a
   * running agent or server, and the system bus itself may restart.
   */
  private readonly sessions = new Set<{ lost(): void; reopen(): Promise<void> }>();
  private busGone = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private reopenDelay = REOPEN_FIRST_MS;
  private reopening = false;

  constructor(
    private readonly dbus: DbusModule,
    private bus: MessageBus,
    private readonly busAddress: string,
    private readonly settleMs: number,
  ) {
    this.attach(bus);
  }

  private attach(bus: MessageBus): void {
    // An error of the connection (socket closed, bus restarted): every later call would wait for
    // ever, so a new connection is made. dbus-next says so by "error", and its stream by "end".
    const gone = (): void => {
      if (bus !== this.bus || this.busGone) return;
      this.busGone = true;
      this.daemonLost();
    };
    bus.on("error", gone);
    (bus as unknown as { _connection?: { on(event: "end", listener: () => void): void } })._connection?.on("end", gone);
    bus.on("message", (msg) => {
      if (bus !== this.bus || msg.type !== this.dbus.MessageType.SIGNAL) return;
      if (msg.interface === "org.freedesktop.DBus" && msg.member === "NameOwnerChanged" && msg.body[0] === AVAHI) {
        // The daemon left ("" as the new owner) or a new one took the name.
        if (msg.body[2] === "") this.daemonLost();
        else this.scheduleReopen(0);
        return;
      }
      const handler = this.signalHandlers.get(msg.path);
      if (handler) handler(msg);
      else if (this.creating > 0 && msg.interface === `${AVAHI}.ServiceBrowser`) this.early.push(msg);
    });
  }

  /** Subscribes to the daemon's comings and goings on the bus. */
  async watchDaemon(): Promise<void> {
    await this.addMatch(
      `type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='${AVAHI}'`,
    );
  }

  /** The daemon (or the bus) is gone: its object paths mean nothing any more; try again shortly. */
  private daemonLost(): void {
    if (this.closed) return;
    this.signalHandlers.clear();
    for (const s of this.sessions) s.lost();
    this.scheduleReopen(this.reopenDelay);
  }

  private scheduleReopen(delayMs: number): void {
    if (this.closed) return;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      void this.reopen();
    }, delayMs);
    // The agent's other work keeps it alive; a retry alone must not.
    this.reopenTimer.unref?.();
  }

  /** A new connection when the old one closed, then every browse and registration opened again. */
  private async reopen(): Promise<void> {
    if (this.closed || this.reopening) return;
    this.reopening = true;
    try {
      if (this.busGone) {
        const old = this.bus;
        this.bus = this.dbus.sessionBus({ busAddress: this.busAddress });
        this.busGone = false;
        this.attach(this.bus);
        old.disconnect();
      }
      await within(this.version(), CONNECT_TIMEOUT_MS, "Avahi GetVersionString");
      await within(this.watchDaemon(), CONNECT_TIMEOUT_MS, "AddMatch");
      this.signalHandlers.clear();
      for (const s of this.sessions)
        await within(s.reopen(), CONNECT_TIMEOUT_MS * 2, "reopening a browse or registration");
      this.reopenDelay = REOPEN_FIRST_MS;
    } catch {
      // No daemon yet (being restarted, or gone for good): try again later, less often each time.
      // Discovery is a convenience; the build goes on with the hosts it has meanwhile.
      for (const s of this.sessions) s.lost();
      this.reopenDelay = Math.min(this.reopenDelay * 2, REOPEN_MAX_MS);
      this.scheduleReopen(this.reopenDelay);
    } finally {
      this.reopening = false;
    }
  }

  private async call(c: Call): Promise<unknown[]> {
    if (this.closed) throw new ZeroconfError("DISTCC_ZEROCONF_ERR_CLOSED", "the Avahi connection is closed");
    const msg = new this.dbus.Message({
      destination: AVAHI,
      path: c.path,
      interface: c.iface,
      member: c.member,
      ...(c.signature ? { signature: c.signature, body: c.body ?? [] } : {}),
    });
    try {
      const reply = await this.bus.call(msg);
      return reply?.body ?? [];
    } catch (err) {
      throw new ZeroconfError("DISTCC_ZEROCONF_ERR_AVAHI", `Avahi ${c.member}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private server(member: string, signature?: string, body?: unknown[]): Promise<unknown[]> {
    return this.call({ path: "/", iface: `${AVAHI}.Server`, member, ...(signature ? { signature, body } : {}) });
  }

  async version(): Promise<string> {
    const [v] = await this.server("GetVersionString");
    return String(v);
  }

  private async addMatch(rule: string): Promise<void> {
    await this.bus.call(
      new this.dbus.Message({
        destination: "org.freedesktop.DBus",
        path: "/org/freedesktop/DBus",
        interface: "org.freedesktop.DBus",
        member: "AddMatch",
        signature: "s",
        body: [rule],
      }),
    );
  }

  async publish(service: ServiceToPublish): Promise<Registration> {
    await this.addMatch(`type='signal',sender='${AVAHI}',interface='${AVAHI}.EntryGroup'`);
    let [path] = (await this.server("EntryGroupNew")) as [string];
    const group = (member: string, signature?: string, body?: unknown[]): Promise<unknown[]> =>
      this.call({ path, iface: `${AVAHI}.EntryGroup`, member, ...(signature ? { signature, body } : {}) });
    const txt = service.txt.map((s) => Buffer.from(s, "utf8"));
    let name = service.name;
    const add = async (): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          await group("AddService", "iiussssqaay", [
            IF_UNSPEC,
            PROTO_INET,
            0,
            name,
            service.type,
            "",
            "",
            service.port,
            txt,
          ]);
          break;
        } catch (err) {
          // Another program of this machine has the name: Avahi's own rule for the next one ("x #2").
          if (attempt > 10 || !/Collision/i.test(String((err as ZeroconfError).cause ?? err))) throw err;
          [name] = (await this.server("GetAlternativeServiceName", "s", [name])) as [string];
        }
      }
      for (const sub of service.subtypes) {
        await group("AddServiceSubtype", "iiussss", [
          IF_UNSPEC,
          PROTO_INET,
          0,
          name,
          service.type,
          "",
          `${sub}._sub.${service.type}`,
        ]);
      }
      await group("Commit");
    };
    // A collision found on the network after the commit: take the next name and register again.
    const onState = (msg: DbusMessage): void => {
      if (msg.member !== "StateChanged") return;
      const state = Number(msg.body[0]);
      if (state === ENTRY_GROUP_COLLISION || state === ENTRY_GROUP_FAILURE) {
        void (async () => {
          if (state === ENTRY_GROUP_COLLISION)
            [name] = (await this.server("GetAlternativeServiceName", "s", [name])) as [string];
          await group("Reset");
          await add();
        })().catch(() => {
          // The daemon went away or refused again: the registration is gone, the server keeps serving.
        });
      }
    };
    this.signalHandlers.set(path, onState);
    await add();
    let withdrawn = false;
    // The daemon restarted: it forgot the group; register again (under the name in use).
    const session = {
      lost: (): void => {
        path = "";
      },
      reopen: async (): Promise<void> => {
        if (withdrawn) return;
        await this.addMatch(`type='signal',sender='${AVAHI}',interface='${AVAHI}.EntryGroup'`);
        [path] = (await this.server("EntryGroupNew")) as [string];
        this.signalHandlers.set(path, onState);
        await add();
      },
    };
    this.sessions.add(session);
    const withdraw = async (): Promise<void> => {
      if (withdrawn) return;
      withdrawn = true;
      this.sessions.delete(session);
      this.closers.delete(withdraw);
      this.signalHandlers.delete(path);
      // Free sends the goodbye packets; a daemon already gone has nothing left to withdraw.
      if (path) await within(group("Free"), CONNECT_TIMEOUT_MS, "Avahi EntryGroup.Free").catch(() => undefined);
      path = "";
    };
    this.closers.add(withdraw);
    return {
      get name() {
        return name;
      },
      withdraw,
    };
  }

  async browse(type: string, events: BrowseEvents): Promise<Browsing> {
    let path: string | undefined;
    const known = new Map<string, string>(); // "iface/proto/name/type/domain" -> service key
    /** Services reported up before the daemon went away: dropped if the new browse does not see them again. */
    let unconfirmed = new Set<string>();
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const timer = setTimeout(() => settle(), this.settleMs);
    timer.unref?.();
    /** The first "all for now" after a reopen: what was not seen again is gone. */
    const confirm = (): void => {
      const seen = new Set(known.values());
      for (const key of unconfirmed) if (!seen.has(key)) events.down(key);
      unconfirmed = new Set();
    };
    const handle = (msg: DbusMessage): void => {
      const [iface, proto, name, stype, domain] = msg.body as [number, number, string, string, string];
      const itemKey = `${iface}/${proto}/${name}/${stype}/${domain}`;
      const key = `${name}.${stype}.${domain}`;
      if (msg.member === "ItemNew") {
        known.set(itemKey, key);
        void this.resolve(iface, proto, name, stype, domain, key).then(
          (found) => {
            if (found && known.has(itemKey)) events.up(found);
          },
          () => {
            // Not resolvable (gone already, or on an interface without an address): not a helper.
          },
        );
      } else if (msg.member === "ItemRemove") {
        known.delete(itemKey);
        // The same service may still be seen on another interface.
        if (![...known.values()].includes(key)) events.down(key);
      } else if (msg.member === "AllForNow" || msg.member === "Failure") {
        settle();
        confirm();
      }
    };
    const open = async (): Promise<void> => {
      // The match rule first: Avahi may send the first items before ServiceBrowserNew has returned.
      await this.addMatch(`type='signal',sender='${AVAHI}',interface='${AVAHI}.ServiceBrowser'`);
      // Signals for a browser whose path is not known yet are kept until it is.
      this.creating++;
      let created: string;
      try {
        [created] = (await this.server("ServiceBrowserNew", "iissu", [IF_UNSPEC, PROTO_INET, type, "", 0])) as [string];
      } finally {
        this.creating--;
      }
      path = created;
      this.signalHandlers.set(created, handle);
      for (const msg of this.early.filter((m) => m.path === created)) handle(msg);
      if (this.creating === 0) this.early.length = 0;
    };
    const session = {
      lost: (): void => {
        if (path !== undefined) this.signalHandlers.delete(path);
        path = undefined;
        for (const key of known.values()) unconfirmed.add(key);
        known.clear();
      },
      reopen: open,
    };
    await open();
    this.sessions.add(session);
    const stop = async (): Promise<void> => {
      clearTimeout(timer);
      settle();
      this.closers.delete(stop);
      this.sessions.delete(session);
      if (path === undefined) return;
      this.signalHandlers.delete(path);
      const freed = path;
      path = undefined;
      await within(
        this.call({ path: freed, iface: `${AVAHI}.ServiceBrowser`, member: "Free" }),
        CONNECT_TIMEOUT_MS,
        "Avahi ServiceBrowser.Free",
      ).catch(() => undefined);
    };
    this.closers.add(stop);
    return { settled, stop };
  }

  private async resolve(
    iface: number,
    proto: number,
    name: string,
    type: string,
    domain: string,
    key: string,
  ): Promise<FoundService | undefined> {
    const reply = await this.server("ResolveService", "iisssiu", [
      iface,
      proto,
      name,
      type,
      domain,
      proto === PROTO_UNSPEC ? PROTO_INET : proto,
      0,
    ]);
    const [, , rname, , , host, , address, port, txt] = reply as [
      number,
      number,
      string,
      string,
      string,
      string,
      number,
      string,
      number,
      Buffer[],
    ];
    return { key, name: rname, host, address, port, txt: parseTxt(txt) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    await Promise.allSettled([...this.closers].map((c) => c()));
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.bus.disconnect();
  }
}

/** TXT strings as a map: `key=value`, a key alone is "" (RFC 6763 6.4: the first of a key wins). */
export function parseTxt(entries: readonly Uint8Array[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of entries) {
    const text = Buffer.from(raw).toString("utf8");
    const eq = text.indexOf("=");
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key && !(key in out)) out[key] = eq < 0 ? "" : text.slice(eq + 1);
  }
  return out;
}
