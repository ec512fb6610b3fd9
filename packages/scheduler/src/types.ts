/**
 * The id of this machine as a place to run a job. distcc's `localhost[/N]` host entries and its
 * `--localslots` pool share the same `cpu_localhost_<i>` lock files, so they are one place here too.
 */
export const LOCAL_ID = "localhost";

/** One entry of the host list, as the agent sees it right now. Times are ms on the caller's clock. */
export interface HostState {
  /** Stable key (for example distcc's lock name `tcp_127.0.0.1_3632`); `localhost` for a local entry. */
  readonly id: string;
  /** Slots (`/N` in the hosts list). */
  readonly limit: number;
  /** Slots taken now. */
  readonly inUse: number;
  /**
   * Which slot indices are taken (distcc's order depends on the index, not only the count). When absent,
   * slots `0 .. inUse-1` are taken.
   */
  readonly busySlots?: readonly number[];
  /** `,down`: never used (distcc treats it as always busy). */
  readonly down?: boolean;
  /** A `localhost[/N]` entry: runs on this machine, sharing the local pool's slots. */
  readonly local?: boolean;
}

/** This machine's pool of slots (distcc's `--localslots`, default 4). */
export interface LocalPool {
  readonly limit: number;
  readonly inUse: number;
  readonly busySlots?: readonly number[];
}

/** What the policy knows about one job before it runs. */
export interface JobInfo {
  /** Size of the input that will be sent (preprocessed size when known, else the source size). */
  readonly inputBytes: number;
  /**
   * distcc's flow: the job is preprocessed after it gets its place, on this machine, while it holds
   * the slot (our agent preprocesses first, then asks: leave it out). The default policy then does not
   * probe this machine at a cold start while helpers are on their first jobs: this machine is busy
   * with their preprocessing until then.
   */
  readonly preprocessesUnderLease?: boolean;
  /** `c`, `c++`, ... (informative; the model is per place). */
  readonly language?: string;
  /** Compiler as named on the wire (informative). */
  readonly compiler?: string;
  /** Places this job must not use (places that already failed it): never chosen again for this job. */
  readonly excluded?: readonly string[];
  /** The job must run on this machine (not distributable, or a retry after a remote failure). */
  readonly localOnly?: boolean;
  /**
   * A straggler's copy of this job cannot run on this machine (a pump-mode job: nothing was
   * preprocessed here to compile): copies go to other helpers only.
   */
  readonly noLocalCopy?: boolean;
  /**
   * Set by the scheduler for a job that has waited too long: take any free place now rather than wait
   * for a better one (prevents starvation).
   */
  readonly urgent?: boolean;
}

/** Where to run a job. `slot` is the index of the slot taken at that place (distcc's lock index). */
export type Placement =
  | { readonly kind: "local"; readonly slot: number }
  | { readonly kind: "remote"; readonly hostId: string; readonly slot: number }
  /** Nothing worth taking now; `placeId` is the place it waits for, when the policy knows. */
  | { readonly kind: "wait"; readonly placeId?: string };

/** A job in flight, for the queue estimate of the earliest-finish policy. */
export interface RunningJob {
  readonly placeId: string;
  readonly startedAt: number;
  /** Expected end (ms); absent when the place has no estimate yet. */
  readonly expectedEndAt?: number;
}

/** Read side of the backoff state. */
export interface BackoffView {
  isBackedOff(hostId: string, now: number): boolean;
  /** Failed, and no success since (even once its backoff is over). */
  onProbation?(hostId: string): boolean;
}

/** Read side of the learned model. */
export interface EstimateSource {
  /**
   * Expected ms from placement to result for a job of `inputBytes` at `placeId` while `load` jobs
   * (this one included; default 1) run there; undefined = no data.
   */
  estimate(placeId: string, inputBytes: number, now: number, load?: number): number | undefined;
  /** Time of the last observation at `placeId` (lets a policy re-probe a place it has not used lately). */
  lastObservedAt?(placeId: string): number | undefined;
  /** How much is known of `placeId` (decayed number of jobs seen; lets a policy probe again). */
  weight?(placeId: string, now: number): number;
  /** Mean ms a remote job spends on this machine under its lease (its preprocessing), 0 if unknown. */
  clientMs?(now: number): number;
  /** Whether the place's observations can predict a job of this size (see SpeedModel.covers). */
  covers?(placeId: string, inputBytes: number, now: number): boolean | undefined;
}

/** Everything a policy reads. The agent owns it; the policy never changes it. */
export interface SchedulerState {
  /** The host list, in list order (distcc's order). */
  readonly hosts: readonly HostState[];
  /** This machine's pool. */
  readonly local: LocalPool;
  readonly backoff?: BackoffView;
  readonly model?: EstimateSource;
  readonly running?: readonly RunningJob[];
  /**
   * Load that jobs sent to helpers put on this machine now (their preprocessing), in jobs: a local
   * compile shares the CPU with it. Default 0.
   */
  readonly localLoadExtra?: number;
  /**
   * This machine's CPU is saturated now (its processes wait for a CPU): a compile kept here takes its
   * CPU time from the preprocessing that feeds the helpers. Default false.
   */
  readonly localSaturated?: boolean;
  /**
   * Share of the recent time (decaying, half-life 10 s) during which every usable helper slot was
   * taken: near 1 when the helpers hold the build back, low when they wait for work.
   */
  readonly helpersFullShare?: number;
  /** Jobs ahead of this one in the queue, by the place they wait for (the scheduler fills it). */
  readonly queuedFor?: Readonly<Record<string, number>>;
  /**
   * Mean ms between new jobs lately (the scheduler measures it from `submit`); undefined before the
   * second job. Tells a policy whether helpers finish jobs faster than the build makes them.
   */
  readonly arrivalMs?: number;
  /**
   * Per helper that reported it: its own time per job lately, ms (request out to first answer byte,
   * see Outcome.compileMs): what its slots could do if this machine fed them without delay.
   */
  readonly helperMs?: Readonly<Record<string, number>>;
}

/** A scheduling policy: a pure function of the state, the job and the time. */
export interface Policy {
  readonly name: string;
  choose(state: SchedulerState, job: JobInfo, now: number): Placement;
}
