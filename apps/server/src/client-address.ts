import { isIPv4 } from "node:net";

/**
 * A client's address as people write it: listening on "::" (all addresses), an IPv4 client arrives
 * IPv4-mapped (`::ffff:10.9.0.2`); logs, stats and summaries show it as `10.9.0.2`, as distccd does.
 */
export function showAddress(address: string | undefined): string {
  if (address === undefined) return "?";
  const mapped = /^::ffff:(.+)$/i.exec(address)?.[1];
  return mapped !== undefined && isIPv4(mapped) ? mapped : address;
}

/** `ADDRESS:PORT` of a connection's peer, for the log and the job summary. */
export function showPeer(address: string | undefined, port: number | undefined): string {
  return `${showAddress(address)}:${port ?? 0}`;
}
