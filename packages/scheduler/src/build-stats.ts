/** Counters of one place over a build (or the agent's lifetime). */
export interface PlaceStats {
  /** Jobs whose result came from this place. */
  readonly compiled: number;
  /** Sum of their elapsed ms (grant to result). */
  readonly totalMs: number;
  /** Attempts that failed here (host failures), by reason. */
  readonly failures: Readonly<Record<string, number>>;
  /** Straggler copies started here, and how many of them won. */
  readonly copies: number;
  readonly copiesWon: number;
}

export interface BuildStatsSnapshot {
  readonly jobs: number;
  readonly finished: number;
  readonly cancelled: number;
  /** Jobs no place could take (see `Update.failed`). */
  readonly unplaceable: number;
  /** Jobs that ran on this machine after a remote attempt failed. */
  readonly fellBackLocally: number;
  readonly places: Readonly<Record<string, PlaceStats>>;
}

interface MutablePlace {
  compiled: number;
  totalMs: number;
  failures: Record<string, number>;
  copies: number;
  copiesWon: number;
}

/** The counters behind `Scheduler.stats()`; plain data, no clock. */
export class BuildStats {
  #jobs = 0;
  #finished = 0;
  #cancelled = 0;
  #unplaceable = 0;
  #fellBack = 0;
  readonly #places = new Map<string, MutablePlace>();

  submitted(): void {
    this.#jobs++;
  }

  copyStarted(placeId: string): void {
    this.#place(placeId).copies++;
  }

  compiled(placeId: string, elapsedMs: number, wasCopy: boolean, afterRemoteFailure: boolean, local: boolean): void {
    const p = this.#place(placeId);
    p.compiled++;
    p.totalMs += elapsedMs;
    if (wasCopy) p.copiesWon++;
    if (afterRemoteFailure && local) this.#fellBack++;
    this.#finished++;
  }

  failedAttempt(placeId: string, reason: string): void {
    const p = this.#place(placeId);
    p.failures[reason] = (p.failures[reason] ?? 0) + 1;
  }

  cancelled(): void {
    this.#cancelled++;
  }

  unplaceable(count: number): void {
    this.#unplaceable += count;
  }

  snapshot(): BuildStatsSnapshot {
    const places: Record<string, PlaceStats> = {};
    for (const [id, p] of this.#places) places[id] = { ...p, failures: { ...p.failures } };
    return {
      jobs: this.#jobs,
      finished: this.#finished,
      cancelled: this.#cancelled,
      unplaceable: this.#unplaceable,
      fellBackLocally: this.#fellBack,
      places,
    };
  }

  #place(id: string): MutablePlace {
    let p = this.#places.get(id);
    if (!p) {
      p = { compiled: 0, totalMs: 0, failures: {}, copies: 0, copiesWon: 0 };
      this.#places.set(id, p);
    }
    return p;
  }
}

/** "1 job", "2 jobs": counts as people write them. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export interface SummaryFormatOptions {
  /** How a place is shown (default its id): e.g. the host as written in the host list. */
  name?(placeId: string): string;
  /** Extra words at the end of a place's line (e.g. why it was skipped). */
  note?(placeId: string): string | undefined;
  /** Places to list even with no job and no failure (e.g. skipped hosts). */
  alsoList?: readonly string[];
}

/**
 * The one-shot text summary of a build: which place compiled how many files and how long they took,
 * failures and why, fallbacks, straggler copies.
 */
export function formatBuildSummary(stats: BuildStatsSnapshot, options: SummaryFormatOptions = {}): string {
  const lines: string[] = [];
  lines.push(
    `${stats.finished} of ${plural(stats.jobs, "job")} compiled` +
      (stats.cancelled ? `, ${stats.cancelled} cancelled` : "") +
      (stats.unplaceable ? `, ${stats.unplaceable} with no place to run` : "") +
      (stats.fellBackLocally ? `, ${stats.fellBackLocally} compiled locally after a remote failure` : ""),
  );
  const name = options.name ?? ((id: string) => id);
  const empty: PlaceStats = { compiled: 0, totalMs: 0, failures: {}, copies: 0, copiesWon: 0 };
  const places: Record<string, PlaceStats> = { ...stats.places };
  for (const id of options.alsoList ?? []) places[id] ??= empty;
  const ids = Object.keys(places).sort((a, b) => places[b]!.compiled - places[a]!.compiled || a.localeCompare(b));
  const width = Math.max(5, ...ids.map((id) => name(id).length));
  for (const id of ids) {
    const p = places[id]!;
    const mean = p.compiled > 0 ? `${Math.round(p.totalMs / p.compiled)} ms/job` : "-";
    let line = `  ${name(id).padEnd(width)}  ${String(p.compiled).padStart(5)} ${p.compiled === 1 ? "job " : "jobs"}  ${mean.padStart(12)}`;
    if (p.copies) line += `  copies ${p.copiesWon}/${p.copies} won`;
    const failures = Object.entries(p.failures);
    if (failures.length) line += `  failed: ${failures.map(([why, n]) => `${n}x ${why}`).join(", ")}`;
    const note = options.note?.(id);
    if (note) line += `  ${note}`;
    lines.push(line);
  }
  return lines.join("\n");
}
