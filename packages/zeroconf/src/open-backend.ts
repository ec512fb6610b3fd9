import { openAvahi } from "./avahi.js";
import { ZeroconfError } from "./errors.js";
import { openMdns } from "./mdns.js";
import type { DnsSdBackend } from "./types.js";

export interface OpenBackendOptions {
  /** "avahi" or "mdns" to use only that one; default: Avahi when a daemon answers, else mDNS here. */
  only?: "avahi" | "mdns";
  /** System bus address (default: DBUS_SYSTEM_BUS_ADDRESS, else the standard socket). */
  busAddress?: string;
  /** How long a browse waits for its first answers. */
  settleMs?: number;
  /** For tests only, mDNS here only: the longest TTL (seconds) of what this process publishes. */
  maxTtlSeconds?: number;
}

/**
 * The backend to use: the avahi-daemon when one answers on the system D-Bus (it owns port 5353
 * and is what distcc uses), else mDNS from this process. `fallbackReason` says why Avahi was not used.
 */
export async function openDnsSd(
  options: OpenBackendOptions = {},
): Promise<{ backend: DnsSdBackend; fallbackReason?: string }> {
  const settle = options.settleMs !== undefined ? { settleMs: options.settleMs } : {};
  const mdns = { ...settle, ...(options.maxTtlSeconds !== undefined ? { maxTtlSeconds: options.maxTtlSeconds } : {}) };
  if (options.only !== "mdns") {
    try {
      return {
        backend: await openAvahi({ ...settle, ...(options.busAddress ? { busAddress: options.busAddress } : {}) }),
      };
    } catch (err) {
      if (options.only === "avahi" || !(err instanceof ZeroconfError)) throw err;
      return { backend: await openMdns(mdns), fallbackReason: err.message };
    }
  }
  return { backend: await openMdns(mdns) };
}
