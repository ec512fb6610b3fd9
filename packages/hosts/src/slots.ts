import type { HostEntry } from "./types.js";

/**
 * distcc's lock file name for slot `index` of a host (`src/lock.c`), relative to
 * `$DISTCC_DIR/lock/`: `cpu_localhost_0`, `cpu_tcp_127.0.0.1_3701_0`, `cpu_ssh_host_0`.
 * The host name is used exactly as written (an IPv6 address keeps its colons). `lockName`
 * "backoff" with index 0 gives the backoff file name.
 */
export function slotName(entry: HostEntry, index: number, lockName = "cpu"): string {
  switch (entry.kind) {
    case "local":
      return `${lockName}_localhost_${index}`;
    case "tcp":
      return `${lockName}_tcp_${entry.host}_${entry.port}_${index}`;
    case "ssh":
      return `${lockName}_ssh_${entry.host}_${index}`;
  }
}
