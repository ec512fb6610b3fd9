import type { BuildStatsSnapshot } from "@x/distcc-scheduler";
import { formatBuildSummary, plural } from "@x/distcc-scheduler";

/**
 * What the agent publishes about itself (status file, `distcc-client:status` channel). Plain JSON:
 * `mon` and `summary` read it from another process.
 */
/** The signal that asks a running agent to write its status file now (see AgentMonitor.writeStatusNow). */
export const STATUS_SIGNAL = "SIGUSR2";

export interface AgentStatus {
  readonly version: 1;
  readonly pid: number;
  /** ms since the epoch. */
  readonly updatedAt: number;
  /** The build running now, or the last one. */
  readonly build?: BuildStatus;
  /** Every place of every host list in use, with its slots and what is known of its speed. */
  readonly places: readonly PlaceStatus[];
  /**
   * This machine's CPU lately: the preprocessors' wall time over their CPU time (`stretch`), and the
   * stretch from which a local compile counts as taking CPU from the preprocessing.
   */
  readonly cpu?: { readonly stretch: number; readonly saturatedAt: number };
  /** Share of the recent time every helper slot was taken (the busiest host list). */
  readonly helpersFullShare?: number;
  /** `+zeroconf`: how it browses and the helpers it finds now. */
  readonly zeroconf?: ZeroconfStatus;
}

export interface ZeroconfStatus {
  /** "Avahi (avahi 0.8) on the system D-Bus", "mDNS from this process ...", or "none: why". */
  readonly backend: string;
  /** `address:port/jobs` and the DNS-SD instance name of each helper found; its `x_stats` TXT (our servers with --stats). */
  readonly helpers: readonly { readonly spec: string; readonly name: string; readonly statsPort?: number }[];
}

/** The `+zeroconf` line of `mon` and `summary`. */
export function formatZeroconf(z: ZeroconfStatus): string {
  const found = z.helpers.map((h) => `${h.spec} (${h.name})`).join(", ");
  return `+zeroconf (${z.backend}): ${z.helpers.length === 0 ? "no helper found" : `${plural(z.helpers.length, "helper")} found: ${found}`}`;
}

export interface BuildStatus {
  readonly startedAt: number;
  /** Set once nothing ran for a while (the build is over). */
  readonly endedAt?: number;
  /** Last job start or end. */
  readonly lastActivityAt: number;
  readonly running: number;
  readonly waiting: number;
  /** Jobs that got a result in the last `rateWindowMs`. */
  readonly recentDone: number;
  readonly rateWindowMs: number;
  /** Jobs that had to run here (not distributable: links, -E, ...), apart from the compiles placed. */
  readonly localOnly: number;
  /** Jobs that ran here because no host list gives any host. */
  readonly noHosts?: number;
  readonly stats: BuildStatsSnapshot;
  /** Place id -> the host as written in the host list (what people read instead of `tcp_HOST_PORT`). */
  readonly names?: Readonly<Record<string, string>>;
  /** Hosts this build left out because an earlier failure backed them off: place id -> why. */
  readonly skipped?: Readonly<Record<string, string>>;
  /** `,cpp` hosts that got jobs preprocessed here (plain mode): place id -> how many and why. */
  readonly plainMode?: Readonly<Record<string, { readonly jobs: number; readonly reason: string }>>;
  /** `+zeroconf`'s helpers when the build was last seen. */
  readonly zeroconf?: ZeroconfStatus;
}

export interface PlaceStatus {
  readonly id: string;
  /** How the host list writes it (`10.9.0.1`, `helper:3700`); the id when unknown. */
  readonly name?: string;
  readonly local: boolean;
  readonly limit: number;
  readonly inUse: number;
  readonly down: boolean;
  readonly backedOffUntil?: number;
  /** Expected ms for a 100 KiB job there (learned), if known. */
  readonly estimate100kMs?: number;
  /** Jobs seen there (learned model, decayed). */
  readonly observations: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The one progress line: done, running, waiting, throughput, elapsed. */
function formatProgress(build: BuildStatus, now: number): string {
  const done = build.stats.finished;
  const end = build.endedAt ?? now;
  const rate = build.rateWindowMs > 0 ? (build.recentDone * 1000) / build.rateWindowMs : 0;
  const state = build.endedAt !== undefined ? "last build" : "build";
  return (
    `${state}: ${done} done, ${build.running} running, ${build.waiting} waiting` +
    (build.endedAt === undefined ? `, ${rate.toFixed(1)} jobs/s` : "") +
    `, ${seconds(end - build.startedAt)}`
  );
}

/** The `mon` view: a header, the progress line, one line per place. Plain text, no escapes. */
export function formatMon(status: AgentStatus, now: number): string {
  const lines = [`distcc-client mon: agent ${status.pid}, updated ${seconds(Math.max(0, now - status.updatedAt))} ago`];
  lines.push(status.build ? formatProgress(status.build, now) : "no build yet");
  const places = status.build?.stats.places ?? {};
  const rows = status.places.map((p) => {
    const s = places[p.id];
    const state = p.down
      ? "down"
      : p.backedOffUntil !== undefined && p.backedOffUntil > now
        ? `backed off ${seconds(p.backedOffUntil - now)}`
        : "";
    return [
      p.name ?? p.id,
      `${p.inUse}/${p.limit}`,
      String(s?.compiled ?? 0),
      s && s.compiled > 0 ? String(Math.round(s.totalMs / s.compiled)) : "-",
      p.estimate100kMs !== undefined ? String(Math.round(p.estimate100kMs)) : "-",
      state,
    ];
  });
  const head = ["place", "slots", "jobs", "mean ms", "ms/100KiB", "state"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(width[i]!) : c.padStart(width[i]!)))
      .join("  ")
      .trimEnd();
  lines.push(fmt(head), ...rows.map(fmt));
  const load: string[] = [];
  if (status.cpu) {
    const saturated = status.cpu.stretch >= status.cpu.saturatedAt;
    load.push(
      `this machine's CPU: preprocessing takes ${status.cpu.stretch.toFixed(1)}x its CPU time${saturated ? " (saturated)" : ""}`,
    );
  }
  if (status.helpersFullShare !== undefined)
    load.push(`helpers full ${Math.round(status.helpersFullShare * 100)} % of the time`);
  if (load.length) lines.push(load.join("; "));
  if (status.zeroconf) lines.push(formatZeroconf(status.zeroconf));
  return `${lines.join("\n")}\n`;
}

/** Nothing runs or waits: the build is over even if the agent has not closed it yet (its quiet gap). */
function idle(build: BuildStatus): boolean {
  return build.running === 0 && build.waiting === 0;
}

/** The one-shot summary of a build: wall time, then which place compiled how many files, failures, fallbacks. */
export function formatSummary(build: BuildStatus, now: number): string {
  const over = build.endedAt !== undefined || idle(build);
  const wall = (build.endedAt ?? (over ? build.lastActivityAt : now)) - build.startedAt;
  const head =
    `distcc-client: ${over ? "build" : "build running"} for ${seconds(wall)}` +
    (build.localOnly ? `; ${plural(build.localOnly, "job")} not distributable (run here)` : "") +
    (build.noHosts ? `; ${plural(build.noHosts, "job")} run here: no host list gives any host` : "");
  const names = build.names ?? {};
  const skipped = build.skipped ?? {};
  const plainMode = build.plainMode ?? {};
  const places = formatBuildSummary(build.stats, {
    name: (id) => names[id] ?? id,
    alsoList: [...Object.keys(skipped), ...Object.keys(plainMode)],
    note: (id) => {
      const notes: string[] = [];
      if (skipped[id] !== undefined) notes.push(`skipped: ${skipped[id]}`);
      const plain = plainMode[id];
      if (plain) notes.push(`plain mode for ${plural(plain.jobs, "job")}: ${plain.reason}`);
      return notes.length ? notes.join("; ") : undefined;
    },
  });
  const zeroconf = build.zeroconf ? `${formatZeroconf(build.zeroconf)}\n` : "";
  // A build of jobs that all ran with no host list has nothing more to show.
  const body =
    build.stats.jobs === 0 &&
    Object.keys(build.stats.places).length === 0 &&
    Object.keys(skipped).length === 0 &&
    Object.keys(plainMode).length === 0 &&
    !build.localOnly
      ? `${head}\n`
      : `${head}\n${places}\n`;
  return body + zeroconf;
}
