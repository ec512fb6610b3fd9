import { SchedulerError } from "./errors.js";
import type { EstimateSource } from "./types.js";

/** One finished job at one place, as the agent measured it. */
export interface JobObservation {
  readonly placeId: string;
  readonly inputBytes: number;
  /** Wall time from placement to result (ms): what the policy predicts. */
  readonly elapsedMs: number;
  /**
   * Mean number of jobs running at the place while this one ran, itself included (default 1). The
   * model learns the time per job at load 1 and scales it by the load, so a place that is slow only
   * because it is full is not mistaken for a slow place.
   */
  readonly concurrency?: number;
  /** Optional breakdown, kept for observability only. */
  readonly transferMs?: number;
  readonly compileMs?: number;
  /** A failed attempt (host failure) says nothing about speed and is ignored. */
  readonly ok?: boolean;
}

export interface SpeedModelOptions {
  /** Weight of an observation halves every `halfLifeMs` (default 10 min), so a changed host is re-learned. */
  readonly halfLifeMs?: number;
}

/** Serialised model, persisted by the caller (for example `$DISTCC_DIR/scheduler-model.json`). */
export interface SpeedModelJSON {
  readonly version: 1;
  readonly halfLifeMs: number;
  readonly places: Record<string, PlaceStatsJSON>;
  /** Decayed mean share of a remote job's time spent on this machine (preprocessing). */
  readonly clientShare?: { readonly w: number; readonly sum: number; readonly at: number };
}

export interface PlaceStatsJSON {
  /** Decayed sums at time `at`: weight, x, y, x*x, x*y (x = input KiB, y = ms). */
  readonly w: number;
  readonly x: number;
  readonly y: number;
  readonly xx: number;
  readonly xy: number;
  readonly at: number;
  /** Time of the last observation. */
  readonly last: number;
  readonly count: number;
}

export const DEFAULT_HALF_LIFE_MS = 10 * 60_000;

interface PlaceStats {
  w: number;
  x: number;
  y: number;
  xx: number;
  xy: number;
  at: number;
  last: number;
  count: number;
}

// x is in KiB so that the squares stay small and the fit is well conditioned.
const KIB = 1024;

/**
 * What was learned of each place: expected ms from placement to result, as `(a + b * size) * load`,
 * fitted by least squares with exponentially decaying weights (half-life) on observations divided by
 * the load they ran under. Falls back to a proportional fit when all jobs seen so far had about the
 * same size. Treating time as proportional to load is exact for one CPU; for a place with several it
 * is right near the loads observed (which is where the policy keeps that place).
 */
export class SpeedModel implements EstimateSource {
  readonly halfLifeMs: number;
  readonly #places = new Map<string, PlaceStats>();
  #clientShare = { w: 0, sum: 0, at: 0 };

  constructor(options: SpeedModelOptions = {}) {
    const halfLife = options.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
    if (!(halfLife > 0)) {
      throw new SchedulerError("SCHED_ERR_BAD_OPTION", `halfLifeMs must be > 0, got ${halfLife}`);
    }
    this.halfLifeMs = halfLife;
  }

  observe(result: JobObservation, now: number): void {
    if (result.ok === false) return;
    if (!(result.elapsedMs >= 0) || !(result.inputBytes >= 0)) return;
    const stats = this.#decayed(result.placeId, now) ?? { w: 0, x: 0, y: 0, xx: 0, xy: 0, at: now, last: now, count: 0 };
    const x = result.inputBytes / KIB;
    const y = result.elapsedMs / Math.max(1, result.concurrency ?? 1);
    stats.w += 1;
    stats.x += x;
    stats.y += y;
    stats.xx += x * x;
    stats.xy += x * y;
    stats.count += 1;
    stats.last = Math.max(stats.last, now);
    this.#places.set(result.placeId, stats);
  }

  /**
   * Records which share (0..1) of a remote job's time it kept this machine busy (preprocessing before
   * the send), so that a local compile can be expected to share the CPU with the jobs in flight.
   */
  observeClientShare(share: number, now: number): void {
    if (!(share >= 0)) return;
    const c = this.#decayedShare(now);
    c.w += 1;
    c.sum += Math.min(1, share);
  }

  /** Decayed mean of `observeClientShare` (0 when nothing was reported). */
  clientShare(now: number): number {
    const c = this.#decayedShare(now);
    return c.w > 0 ? c.sum / c.w : 0;
  }

  estimate(placeId: string, inputBytes: number, now: number, load = 1): number | undefined {
    const alone = this.#estimateAlone(placeId, inputBytes, now);
    return alone === undefined ? undefined : alone * Math.max(1, load);
  }

  #estimateAlone(placeId: string, inputBytes: number, now: number): number | undefined {
    const s = this.#decayed(placeId, now);
    if (!s || s.w <= 0) return undefined;
    const x = inputBytes / KIB;
    const meanX = s.x / s.w;
    const meanY = s.y / s.w;
    const varX = s.xx / s.w - meanX * meanX;
    if (varX > 1e-6 * Math.max(1, meanX * meanX)) {
      const slope = (s.xy / s.w - meanX * meanY) / varX;
      const intercept = meanY - slope * meanX;
      // A negative slope or intercept is noise from few samples: fall through to the proportional fit.
      if (slope >= 0 && intercept >= 0) return intercept + slope * x;
    }
    // Proportional with a floor: jobs of the size seen take the mean; others scale, but never below half
    // of it (a job has a fixed cost: process start, connect, headers).
    if (meanX <= 0) return meanY;
    return Math.max(meanY / 2, meanY * (x / meanX));
  }

  /** Decayed number of observations (1 = one fresh job). Small = little is known. */
  weight(placeId: string, now: number): number {
    return this.#decayed(placeId, now)?.w ?? 0;
  }

  /** Time of the last observation at `placeId`, or undefined. */
  lastObservedAt(placeId: string): number | undefined {
    return this.#places.get(placeId)?.last;
  }

  /** Undecayed count of observations. */
  count(placeId: string): number {
    return this.#places.get(placeId)?.count ?? 0;
  }

  places(): string[] {
    return [...this.#places.keys()];
  }

  forget(placeId: string): void {
    this.#places.delete(placeId);
  }

  toJSON(): SpeedModelJSON {
    const places: Record<string, PlaceStatsJSON> = {};
    for (const [id, s] of this.#places) places[id] = { ...s };
    return { version: 1, halfLifeMs: this.halfLifeMs, places, clientShare: { ...this.#clientShare } };
  }

  /** Restores a persisted model; throws `SCHED_ERR_BAD_MODEL_JSON` on anything malformed. */
  static fromJSON(json: unknown, options: SpeedModelOptions = {}): SpeedModel {
    const bad = (why: string): never => {
      throw new SchedulerError("SCHED_ERR_BAD_MODEL_JSON", `speed model JSON: ${why}`);
    };
    if (typeof json !== "object" || json === null) return bad("not an object");
    const j = json as Partial<SpeedModelJSON>;
    if (j.version !== 1) return bad(`unknown version ${String(j.version)}`);
    const model = new SpeedModel({ halfLifeMs: options.halfLifeMs ?? j.halfLifeMs });
    if (typeof j.places !== "object" || j.places === null) return bad("places missing");
    for (const [id, s] of Object.entries(j.places)) {
      const fields = [s?.w, s?.x, s?.y, s?.xx, s?.xy, s?.at, s?.last, s?.count];
      if (!fields.every((v) => typeof v === "number" && Number.isFinite(v)) || s.w < 0) {
        return bad(`bad stats for ${id}`);
      }
      model.#places.set(id, { w: s.w, x: s.x, y: s.y, xx: s.xx, xy: s.xy, at: s.at, last: s.last, count: s.count });
    }
    const c = j.clientShare;
    if (c !== undefined) {
      if (![c.w, c.sum, c.at].every((v) => typeof v === "number" && Number.isFinite(v)) || c.w < 0) {
        return bad("bad clientShare");
      }
      model.#clientShare = { w: c.w, sum: c.sum, at: c.at };
    }
    return model;
  }

  #decayedShare(now: number): { w: number; sum: number; at: number } {
    const c = this.#clientShare;
    if (c.w === 0) c.at = now;
    else if (now > c.at) {
      const f = Math.pow(0.5, (now - c.at) / this.halfLifeMs);
      c.w *= f;
      c.sum *= f;
      c.at = now;
    }
    return c;
  }

  /** The stats of a place with their weights decayed to `now` (stored back, so decay is applied once). */
  #decayed(placeId: string, now: number): PlaceStats | undefined {
    const s = this.#places.get(placeId);
    if (!s) return undefined;
    const dt = now - s.at;
    if (dt > 0) {
      const f = Math.pow(0.5, dt / this.halfLifeMs);
      s.w *= f;
      s.x *= f;
      s.y *= f;
      s.xx *= f;
      s.xy *= f;
      s.at = now;
    }
    return s;
  }
}
