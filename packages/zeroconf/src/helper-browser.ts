/**
 * The helpers found on the network, kept current: what `+zeroconf` expands to. Owns one browse
 * of `_distcc._tcp` (every subtype: the client judges toolchains itself).
 */
import { DISTCC_SERVICE_TYPE, distccHostFor } from "./distcc-records.js";
import type { Browsing, DnsSdBackend, FoundService } from "./types.js";

export interface FoundHelper {
  /** `address:port/limit`, as distcc writes it in `$DISTCC_DIR/zeroconf/hosts`. */
  spec: string;
  host: string;
  port: number;
  limit: number;
  /** The DNS-SD instance name (e.g. `distcc@vm`) and TXT, for `doctor` and `mon`. */
  name: string;
  txt: Record<string, string>;
}

export class HelperBrowser {
  private readonly services = new Map<string, FoundService>();
  private browsing: Browsing | undefined;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly backend: DnsSdBackend) {}

  /** Starts browsing; resolves at once (see `settled`). */
  static async start(backend: DnsSdBackend): Promise<HelperBrowser> {
    const browser = new HelperBrowser(backend);
    browser.browsing = await backend.browse(DISTCC_SERVICE_TYPE, {
      up: (service) => {
        // Seen again on another interface of this machine: keep the address it had, so the host
        // list (and the scheduler learned under it) does not flip between two addresses.
        const had = browser.services.get(service.key);
        const kept = had && had.port === service.port ? { ...service, address: had.address } : service;
        if (had && JSON.stringify(had) === JSON.stringify(kept)) return;
        browser.services.set(service.key, kept);
        browser.changed();
      },
      down: (key) => {
        if (browser.services.delete(key)) browser.changed();
      },
    });
    return browser;
  }

  /** Resolves when the first answers are in (or the backend's short wait is over). */
  get settled(): Promise<void> {
    return this.browsing?.settled ?? Promise.resolve();
  }

  /** Called after every change of the list. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** The helpers now, sorted by address and port so the list (and the scheduler's key) is stable. */
  helpers(): FoundHelper[] {
    const seen = new Set<string>();
    const out: FoundHelper[] = [];
    for (const s of this.services.values()) {
      const h = distccHostFor(s);
      const id = `${h.host}:${h.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ ...h, name: s.name, txt: s.txt });
    }
    return out.sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
  }

  async stop(): Promise<void> {
    await this.browsing?.stop();
    this.browsing = undefined;
  }
}
