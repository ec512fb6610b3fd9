/** How a host's payloads are compressed. `lz4` is our extension (only our server understands it). */
export type Compression = "none" | "lzo" | "lz4";

/** distcc protocol version a host is spoken to with: 1 plain, 2 compressed, 3 pump (`,cpp`). */
export type ProtocolVersion = 1 | 2 | 3;

/** Bare `localhost[/N]`: jobs run on this machine, under `cpu_localhost_<i>` slots. */
export interface LocalHostEntry {
  kind: "local";
  /** The entry text exactly as written (what `distcc --show-hosts` prints). */
  spec: string;
  limit: number;
}

/** Fields shared by the two remote kinds. */
interface RemoteFields {
  spec: string;
  host: string;
  limit: number;
  protocol: ProtocolVersion;
  compression: Compression;
  /** `,cpp`: pump mode, the server preprocesses. */
  cpp: boolean;
  /** `,down`: listed but never used. */
  down: boolean;
  /** `,auth` (true) or `,auth=NAME` (the GSS-API service host name). */
  auth?: string | true;
  /** Recognised options in written order, normalised (`lzofoo` → `lzo`, `auth=NAME` kept whole). */
  options: string[];
}

/** `HOST[/N][:PORT][/N][,OPTIONS]` or `[IPV6]...`: a distccd reached over TCP. */
export interface TcpHostEntry extends RemoteFields {
  kind: "tcp";
  /** distcc's value: `host:` gives 0, no range check (see the DISTCC_WARN_PORT warning). */
  port: number;
}

/** `[USER]@HOST[/N][:COMMAND][,OPTIONS]`: distccd started over ssh. */
export interface SshHostEntry extends RemoteFields {
  kind: "ssh";
  user?: string;
  command?: string;
}

export type HostEntry = LocalHostEntry | TcpHostEntry | SshHostEntry;

/** Stable identifiers of the warnings (the README says what each one means). */
export const HOST_WARNING_CODES = [
  "DISTCC_WARN_PORT",
  "DISTCC_WARN_LIMIT",
  "DISTCC_WARN_IGNORED_TEXT",
  "DISTCC_WARN_READS_PAST_ENTRY",
  "DISTCC_WARN_EQUALS_IN_NAME",
  "DISTCC_WARN_LOCALSLOTS",
  "DISTCC_WARN_ZEROCONF",
  "DISTCC_WARN_EXTENSION",
  "DISTCC_WARN_NO_HOSTS",
  "DISTCC_WARN_NUL",
] as const;

export type HostWarningCode = (typeof HOST_WARNING_CODES)[number];

/** Something distcc accepts silently but a user probably did not mean. */
export interface HostWarning {
  code: HostWarningCode;
  /** The entry text concerned ("" for list-wide warnings). */
  entry: string;
  /** 1-based position in the whole text (0 for list-wide warnings). */
  column: number;
  message: string;
}

export interface HostList {
  /** Hosts in the order distcc would try them (already shuffled when `randomize`). */
  hosts: HostEntry[];
  /** `--localslots` (default 4): slots for jobs that must run locally. */
  localSlots: number;
  /** `--localslots_cpp` (default 8): slots for local preprocessing. */
  localSlotsCpp: number;
  randomize: boolean;
  /** `+zeroconf`: hosts discovered over mDNS belong at `zeroconfIndex` in `hosts`. */
  zeroconf: boolean;
  zeroconfIndex?: number;
  warnings: HostWarning[];
}

export interface ParseHostListOptions {
  /** Where the text came from, for messages: "$DISTCC_HOSTS" or a file path. */
  source?: string;
  /** Used for `--randomize` (one draw per host, then a stable sort). Default Math.random. */
  random?: () => number;
  /** Accept our extension options (`lz4`). Default true; false = exactly distcc 3.4. */
  extensions?: boolean;
}

export const DEFAULT_PORT = 3632;
export const DEFAULT_REMOTE_LIMIT = 4;
export const DEFAULT_LOCALHOST_LIMIT = 2;
export const DEFAULT_LOCAL_SLOTS = 4;
export const DEFAULT_LOCAL_SLOTS_CPP = 8;
