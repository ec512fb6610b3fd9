import { DEFAULT_LOCALHOST_LIMIT, DEFAULT_PORT, DEFAULT_REMOTE_LIMIT, type HostEntry, type HostList } from "./types.js";

function optionsText(options: readonly string[]): string {
  let out = "";
  for (const option of options) out += `,${option}`;
  return out;
}

/**
 * A TCP host name must be bracketed when it has a ':' or starts with '[', '#' or \v (such names
 * only come from brackets), or when, unbracketed, it would be read as a `--randomize` or
 * `--localslots` setting. A name with ']' came without brackets and needs none.
 */
function needsBrackets(host: string): boolean {
  if (host.includes("]")) return false;
  return (
    host.includes(":") ||
    host.startsWith("[") ||
    // A leading \v would be skipped as the space between entries, a leading '#' start a comment.
    host.startsWith("\v") ||
    host.startsWith("#") ||
    host.startsWith("--randomize") ||
    host.startsWith("--localslots")
  );
}

/** One entry in canonical form: defaults left out, options normalised (`lzofoo` → `lzo`). */
export function formatHostEntry(entry: HostEntry): string {
  switch (entry.kind) {
    case "local":
      return entry.limit === DEFAULT_LOCALHOST_LIMIT ? "localhost" : `localhost/${entry.limit}`;
    case "ssh": {
      const limit = entry.limit === DEFAULT_REMOTE_LIMIT ? "" : `/${entry.limit}`;
      const command = entry.command === undefined ? "" : `:${entry.command}`;
      return `${entry.user ?? ""}@${entry.host}${limit}${command}${optionsText(entry.options)}`;
    }
    case "tcp": {
      const host = needsBrackets(entry.host) ? `[${entry.host}]` : entry.host;
      // Bare `localhost` / `+zeroconf` would be read as keywords: keep the port to stay TCP.
      const keyword = entry.host === "localhost" || entry.host === "+zeroconf";
      const port = entry.port === DEFAULT_PORT && !keyword ? "" : `:${entry.port}`;
      const limit = entry.limit === DEFAULT_REMOTE_LIMIT ? "" : `/${entry.limit}`;
      return `${host}${port}${limit}${optionsText(entry.options)}`;
    }
  }
}

/**
 * A canonical hosts line for `list`: settings first, then the hosts in order. parseHostList of
 * the result gives the same hosts and settings (spec texts and warnings aside). Entries are
 * separated by spaces, except after an entry whose text has a '#' (a host name distcc reads past a
 * comment), which must end its line.
 */
export function formatHostList(list: HostList): string {
  const parts: string[] = [];
  if (list.randomize) parts.push("--randomize");
  if (list.localSlots !== 4) parts.push(`--localslots=${list.localSlots}`);
  if (list.localSlotsCpp !== 8) parts.push(`--localslots_cpp=${list.localSlotsCpp}`);
  const zeroconfAt = list.zeroconf ? (list.zeroconfIndex ?? list.hosts.length) : -1;
  list.hosts.forEach((host, index) => {
    if (index === zeroconfAt) parts.push("+zeroconf");
    parts.push(formatHostEntry(host));
  });
  if (zeroconfAt >= list.hosts.length) parts.push("+zeroconf");
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i > 0) out += (parts[i - 1] as string).includes("#") ? "\n" : " ";
    out += part;
  }
  return out;
}
