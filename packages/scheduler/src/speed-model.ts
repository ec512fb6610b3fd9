import { SchedulerError } from "./errors.js";
import { LOCAL_ID, type EstimateSource } from "./types.js";

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
  /**
   * Each new job at a place also scales the weight of the older ones by `1 - 1/memoryJobs` (default
   * 40), so a host that slows down in the middle of a build is re-learned within a few dozen jobs,
   * whatever the time scale.
   */
  readonly memoryJobs?: number;
}

/** Serialised model, persisted by the caller (for example `$DISTCC_DIR/scheduler-model.json`). */
export interface SpeedModelJSON {
  readonly version: 2;
  readonly halfLifeMs: number;
  readonly memoryJobs?: number;
  readonly places: Record<string, PlaceStatsJSON>;
  /**
   * What remote jobs cost this machine under their lease (preprocessing): decayed sums of the share of
   * their time (`share`) and of the ms (`ms`) over weight `w`.
   */
  readonly client?: { readonly w: number; readonly share: number; readonly ms: number; readonly at: number };
}

export interface PlaceStatsJSON {
  /** Decayed weight at time `at`. */
  readonly w: number;
  readonly at: number;
  /** Time of the last observation. */
  readonly last: number;
  readonly count: number;
  /** One set of decayed sums per candidate parallelism (`PARALLELISM`): x, y, x*x, x*y, y*y. */
  readonly fits: readonly FitJSON[];
}

interface FitJSON {
  readonly x: number;
  readonly y: number;
  readonly xx: number;
  readonly xy: number;
  readonly yy: number;
}

export const DEFAULT_HALF_LIFE_MS = 10 * 60_000;
export const DEFAULT_MEMORY_JOBS = 40;

/**
 * Candidate numbers of jobs a place runs at full speed at once (its cores, in effect). The model keeps
 * a fit for each and uses the one that explains the observed times best.
 */
export const PARALLELISM: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16];

interface Fit {
  x: number;
  y: number;
  xx: number;
  xy: number;
  yy: number;
}

interface PlaceStats {
  w: number;
  at: number;
  last: number;
  count: number;
  fits: Fit[];
}

const MIN_JOBS_FOR_PARALLELISM = 20;

// x is in KiB so that the squares stay small and the fit is well conditioned.
const KIB = 1024;

/**
 * What was learned of each place: expected ms from placement to result for a job of a given size
 * while `load` jobs share the place, as `(a + b * size) * max(1, load / c)`. For each candidate
 * parallelism c, a least-squares fit with exponentially decaying weights (half-life) runs on the
 * observed times divided by their load factor; c = 1 ("time grows with load") unless a larger c
 * explains the times much better over enough jobs. Falls back to a proportional fit when all jobs
 * seen had about the same size.
 */
export class SpeedModel implements EstimateSource {
  readonly halfLifeMs: number;
  readonly memoryJobs: number;
  readonly #places = new Map<string, PlaceStats>();
  #client = { w: 0, share: 0, ms: 0, at: 0 };

  constructor(options: SpeedModelOptions = {}) {
    const halfLife = options.halfLifeMs ?? DEFAULT_HALF_LIFE_MS;
    if (!(halfLife > 0)) {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_OPTION", `halfLifeMs must be > 0, got ${halfLife}`);
    }
    this.halfLifeMs = halfLife;
    const memory = options.memoryJobs ?? DEFAULT_MEMORY_JOBS;
    if (!(memory >= 1)) {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_OPTION", `memoryJobs must be >= 1, got ${memory}`);
    }
    this.memoryJobs = memory;
  }

  observe(result: JobObservation, now: number): void {
    if (result.ok === false) return;
    if (!(result.elapsedMs >= 0) || !(result.inputBytes >= 0)) return;
    const stats = this.#decayed(result.placeId, now) ?? {
      w: 0,
      at: now,
      last: now,
      count: 0,
      fits: PARALLELISM.map(() => ({ x: 0, y: 0, xx: 0, xy: 0, yy: 0 })),
    };
    const x = result.inputBytes / KIB;
    const load = Math.max(1, result.concurrency ?? 1);
    scale(stats, 1 - 1 / this.memoryJobs);
    stats.w += 1;
    PARALLELISM.forEach((c, i) => {
      const fit = stats.fits[i]!;
      const y = result.elapsedMs / Math.max(1, load / c);
      fit.x += x;
      fit.y += y;
      fit.xx += x * x;
      fit.xy += x * y;
      fit.yy += y * y;
    });
    stats.count += 1;
    stats.last = Math.max(stats.last, now);
    this.#places.set(result.placeId, stats);
  }

  /**
   * Records what a remote job cost this machine under its lease: `clientMs` of its `elapsedMs`
   * (preprocessing before the send). Remote estimates add the mean of it, and a local compile is
   * expected to share the CPU with the jobs in flight (`clientShare`).
   */
  observeClient(clientMs: number, elapsedMs: number, now: number): void {
    if (!(clientMs >= 0) || !(elapsedMs > 0)) return;
    const c = this.#decayedClient(now);
    c.w += 1;
    c.share += Math.min(1, clientMs / elapsedMs);
    c.ms += clientMs;
  }

  /** Decayed mean share of a remote job's time spent on this machine (0 when nothing was reported). */
  clientShare(now: number): number {
    const c = this.#decayedClient(now);
    return c.w > 0 ? c.share / c.w : 0;
  }

  /** Decayed mean ms a remote job spends on this machine under its lease (0 when not reported). */
  clientMs(now: number): number {
    const c = this.#decayedClient(now);
    return c.w > 0 ? c.ms / c.w : 0;
  }

  estimate(placeId: string, inputBytes: number, now: number, load = 1): number | undefined {
    const s = this.#decayed(placeId, now);
    if (!s || s.w <= 0) return undefined;
    const i = this.#bestFit(s);
    const line = fitLine(s.w, s.fits[i]!);
    const place = line.predict(inputBytes / KIB) * Math.max(1, load / PARALLELISM[i]!);
    // A helper's time is learned without this machine's share; a remote job pays that share too.
    return placeId === LOCAL_ID ? place : place + this.clientMs(now);
  }

  /**
   * Index of the parallelism to use. c = 1 unless a larger one explains the times much better
   * (half the residual) over enough jobs: with few or noisy samples a wrong c misleads more than the
   * plain "time grows with load".
   */
  #bestFit(s: PlaceStats): number {
    if (s.count < MIN_JOBS_FOR_PARALLELISM) return 0;
    let best = 0;
    let bestResidual = fitLine(s.w, s.fits[0]!).residual;
    for (let i = 1; i < PARALLELISM.length; i++) {
      const { residual } = fitLine(s.w, s.fits[i]!);
      if (residual < bestResidual * 0.5) {
        best = i;
        bestResidual = residual;
      }
    }
    return best;
  }

  /**
   * Whether what the place's jobs showed can predict a job of this size: false when it is far larger
   * than any seen there (over 4x their mean and 3 deviations above it), e.g. a helper first measured
   * on a 1.4 KiB file, asked about a 400 KiB one. Undefined when nothing is known.
   */
  covers(placeId: string, inputBytes: number, now: number): boolean | undefined {
    const s = this.#decayed(placeId, now);
    if (!s || s.w <= 0) return undefined;
    const f = s.fits[0]!;
    const meanX = f.x / s.w;
    const sd = Math.sqrt(Math.max(0, f.xx / s.w - meanX * meanX));
    const x = inputBytes / KIB;
    return x <= Math.max(4 * meanX, meanX + 3 * sd);
  }

  /** The parallelism that explains the observations best (1 when nothing distinguishes them). */
  parallelism(placeId: string, now: number): number | undefined {
    const s = this.#decayed(placeId, now);
    if (!s || s.w <= 0) return undefined;
    return PARALLELISM[this.#bestFit(s)];
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
    for (const [id, st] of this.#places) places[id] = { ...st, fits: st.fits.map((f) => ({ ...f })) };
    return {
      version: 2,
      halfLifeMs: this.halfLifeMs,
      memoryJobs: this.memoryJobs,
      places,
      client: { ...this.#client },
    };
  }

  /** Restores a persisted model; throws `DISTCC_SCHED_ERR_BAD_MODEL_JSON` on anything malformed. */
  static fromJSON(json: unknown, options: SpeedModelOptions = {}): SpeedModel {
    const bad = (why: string): never => {
      throw new SchedulerError("DISTCC_SCHED_ERR_BAD_MODEL_JSON", `speed model JSON: ${why}`);
    };
    const finite = (...values: unknown[]): boolean => values.every((v) => typeof v === "number" && Number.isFinite(v));
    if (typeof json !== "object" || json === null) return bad("not an object");
    const j = json as Partial<SpeedModelJSON>;
    if (j.version !== 2) return bad(`unknown version ${String(j.version)}`);
    // Infinity (no count-based forgetting) is written as null by JSON.
    const memoryJobs = options.memoryJobs ?? (typeof j.memoryJobs === "number" ? j.memoryJobs : undefined);
    const model = new SpeedModel({
      halfLifeMs: options.halfLifeMs ?? j.halfLifeMs,
      ...(memoryJobs !== undefined ? { memoryJobs } : {}),
    });
    if (typeof j.places !== "object" || j.places === null) return bad("places missing");
    for (const [id, st] of Object.entries(j.places)) {
      if (!st || !finite(st.w, st.at, st.last, st.count) || st.w < 0) return bad(`bad stats for ${id}`);
      if (!Array.isArray(st.fits) || st.fits.length !== PARALLELISM.length) return bad(`bad fits for ${id}`);
      const fits = st.fits.map((f) =>
        f && finite(f.x, f.y, f.xx, f.xy, f.yy)
          ? { x: f.x, y: f.y, xx: f.xx, xy: f.xy, yy: f.yy }
          : bad(`bad fit for ${id}`),
      );
      model.#places.set(id, { w: st.w, at: st.at, last: st.last, count: st.count, fits });
    }
    const c = j.client;
    if (c !== undefined) {
      if (!finite(c.w, c.share, c.ms, c.at) || c.w < 0) return bad("bad client");
      model.#client = { w: c.w, share: c.share, ms: c.ms, at: c.at };
    }
    return model;
  }

  #decayedClient(now: number): { w: number; share: number; ms: number; at: number } {
    const c = this.#client;
    if (c.w === 0) c.at = now;
    else if (now > c.at) {
      const f = 0.5 ** ((now - c.at) / this.halfLifeMs);
      c.w *= f;
      c.share *= f;
      c.ms *= f;
      c.at = now;
    }
    return c;
  }

  /** The stats of a place with their weights decayed to `now` (stored back, so decay is applied once). */
  #decayed(placeId: string, now: number): PlaceStats | undefined {
    const st = this.#places.get(placeId);
    if (!st) return undefined;
    const dt = now - st.at;
    if (dt > 0) {
      scale(st, 0.5 ** (dt / this.halfLifeMs));
      st.at = now;
    }
    return st;
  }
}

/** Multiplies every weighted sum of a place by `f` (older jobs count less). */
function scale(st: PlaceStats, f: number): void {
  st.w *= f;
  for (const fit of st.fits) {
    fit.x *= f;
    fit.y *= f;
    fit.xx *= f;
    fit.xy *= f;
    fit.yy *= f;
  }
}

/**
 * Weighted least squares of y on x from sums, with negative parts clamped (noise), and the residual
 * relative to the spread of y (so fits of differently scaled y compare).
 */
function fitLine(w: number, f: Fit): { predict: (x: number) => number; residual: number } {
  const meanX = f.x / w;
  const meanY = f.y / w;
  const varX = f.xx / w - meanX * meanX;
  let a: number;
  let b: number;
  if (varX > 1e-6 * Math.max(1, meanX * meanX)) {
    b = (f.xy / w - meanX * meanY) / varX;
    a = meanY - b * meanX;
    if (b < 0) {
      a = meanY;
      b = 0;
    } else if (a < 0) {
      a = 0;
      b = f.xx > 0 ? f.xy / f.xx : 0;
    }
  } else {
    // All jobs had about the same size: proportional, never below half the mean (a job has a fixed
    // cost: process start, connect, headers).
    const residual = f.yy > 0 ? Math.max(0, f.yy - (f.y * f.y) / w) / f.yy : 0;
    return { predict: (x) => (meanX <= 0 ? meanY : Math.max(meanY / 2, meanY * (x / meanX))), residual };
  }
  // sum of w * (y - a - b x)^2, from the sums.
  const ssr = f.yy - 2 * a * f.y - 2 * b * f.xy + a * a * w + 2 * a * b * f.x + b * b * f.xx;
  return { predict: (x) => a + b * x, residual: f.yy > 0 ? Math.max(0, ssr) / f.yy : 0 };
}
