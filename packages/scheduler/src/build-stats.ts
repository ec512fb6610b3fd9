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

/**
 * The one-shot text summary of a build: which place compiled how many files and how long they took,
 * failures and why, fallbacks, straggler copies.
 */
export function formatBuildSummary(stats: BuildStatsSnapshot): string {
  const lines: string[] = [];
  lines.push(
    `${stats.finished} of ${stats.jobs} jobs compiled` +
      (stats.cancelled ? `, ${stats.cancelled} cancelled` : "") +
      (stats.unplaceable ? `, ${stats.unplaceable} with no place to run` : "") +
      (stats.fellBackLocally ? `, ${stats.fellBackLocally} compiled locally after a remote failure` : ""),
  );
  const ids = Object.keys(stats.places).sort((a, b) => stats.places[b]!.compiled - stats.places[a]!.compiled || a.localeCompare(b));
  const width = Math.max(5, ...ids.map((id) => id.length));
  for (const id of ids) {
    const p = stats.places[id]!;
    const mean = p.compiled > 0 ? `${Math.round(p.totalMs / p.compiled)} ms/job` : "-";
    let line = `  ${id.padEnd(width)}  ${String(p.compiled).padStart(5)} jobs  ${mean.padStart(12)}`;
    if (p.copies) line += `  copies ${p.copiesWon}/${p.copies} won`;
    const failures = Object.entries(p.failures);
    if (failures.length) line += `  failed: ${failures.map(([why, n]) => `${n}x ${why}`).join(", ")}`;
    lines.push(line);
  }
  return lines.join("\n");
}
