import { JOB_RESULTS, type JobResult, type JobSummary } from "./job-result.js";

/** Upper bounds (seconds) of the compile-time histogram buckets; the last bucket is +Inf. */
const COMPILE_TIME_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] as const;

export interface CompilerFigures {
  jobs: number;
  ok: number;
  failed: number;
  compileMs: number;
}

/** A copy of every figure at one moment (what `DistccServer.stats()` returns). */
export interface StatsSnapshot {
  startedAt: string;
  uptimeSeconds: number;
  tcpAccept: number;
  results: Record<JobResult, number>;
  /** Counts by reason text for refusals and failures (e.g. "compiler not allowed: tcc"). */
  reasons: Record<string, number>;
  /** Questions that were not jobs (doctor's probe, capabilities queries): in neither results nor reasons. */
  probes: number;
  running: number;
  queued: number;
  connections: number;
  /** The request memory budget (--max-request-memory): bytes held now by requests and answers. */
  memory?: MemoryFigures;
  maxKids: number;
  avgKids: [number, number, number];
  compiles: [number, number, number];
  longestJob?: { input: string; compiler: string; ms: number };
  compileTime: { buckets: { le: number; count: number }[]; count: number; sumSeconds: number };
  bytesIn: number;
  bytesOut: number;
  perCompiler: Record<string, CompilerFigures>;
  /** How compiles are isolated (--sandbox): "unavailable" = auto found no working bwrap. */
  sandbox?: { mode: string; state: string; warning?: string };
  /** How a whole job's processes and memory are bounded (cgroup-v2, cgroup-v1, rlimit-nproc or none). */
  jobBounds?: { kind: string; processes: number; memoryMiB: number; note?: string };
}

export interface MemoryFigures {
  used: number;
  capacity: number;
  perClient: number;
}

const MINUTES = [1, 5, 15] as const;
/** Distinct reasons / compiler names kept; they contain client-chosen text, so they are capped. */
const MAX_KEYS = 200;

function bump<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= MAX_KEYS) key = "(others)";
    value = map.get(key) ?? make();
    map.set(key, value);
  }
  return value;
}
const SAMPLE_MS = 5000;

/**
 * The server's counters. Averages of busy slots decay like the kernel's load average (sampled every
 * 5 s); "compiles in the last N minutes" come from a list of finish times pruned to 15 minutes.
 */
export class ServerStats {
  private readonly started = Date.now();
  private tcpAccept = 0;
  private probes = 0;
  private readonly results = Object.fromEntries(JOB_RESULTS.map((r) => [r, 0])) as Record<JobResult, number>;
  private readonly reasons = new Map<string, number>();
  private readonly finishTimes: number[] = [];
  private longest: { input: string; compiler: string; ms: number } | undefined;
  private readonly histogram = new Array<number>(COMPILE_TIME_BUCKETS.length + 1).fill(0);
  private compileCount = 0;
  private compileSeconds = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly perCompiler = new Map<string, CompilerFigures>();
  private readonly avgKids: [number, number, number] = [0, 0, 0];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly live: () => { running: number; queued: number; connections: number; memory?: MemoryFigures },
    private readonly maxKids: number,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    const busy = this.live().running;
    MINUTES.forEach((m, i) => {
      const decay = Math.exp(-SAMPLE_MS / (m * 60_000));
      this.avgKids[i] = (this.avgKids[i] as number) * decay + busy * (1 - decay);
    });
  }

  accepted(): void {
    this.tcpAccept++;
  }

  /** Counts one finished connection. */
  record(job: JobSummary): void {
    if (job.probe) {
      this.probes++;
      return;
    }
    this.results[job.result]++;
    if (job.reason && job.result !== "COMPILE_OK") {
      const key = this.reasons.has(job.reason) || this.reasons.size < MAX_KEYS ? job.reason : "(others)";
      this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
    }
    this.bytesIn += job.bytesIn;
    this.bytesOut += job.bytesOut;
    if (job.compileMs > 0 || job.result === "COMPILE_OK" || job.result === "COMPILE_ERROR") {
      const now = Date.now();
      this.finishTimes.push(now);
      while ((this.finishTimes[0] ?? now) < now - 15 * 60_000) this.finishTimes.shift();
      const seconds = job.compileMs / 1000;
      let bucket = COMPILE_TIME_BUCKETS.findIndex((le) => seconds <= le);
      if (bucket < 0) bucket = COMPILE_TIME_BUCKETS.length;
      this.histogram[bucket] = (this.histogram[bucket] as number) + 1;
      this.compileCount++;
      this.compileSeconds += seconds;
      if (job.compiler) {
        const figures = bump(
          this.perCompiler,
          job.compiler,
          (): CompilerFigures => ({ jobs: 0, ok: 0, failed: 0, compileMs: 0 }),
        );
        figures.jobs++;
        if (job.result === "COMPILE_OK") figures.ok++;
        else figures.failed++;
        figures.compileMs += job.compileMs;
      }
      if (job.compiler && (!this.longest || job.compileMs > this.longest.ms)) {
        this.longest = { input: job.input ?? "", compiler: job.compiler, ms: job.compileMs };
      }
    }
  }

  private sandboxInfo: StatsSnapshot["sandbox"];

  /** Recorded once at start (chooseSandbox). */
  setSandbox(info: NonNullable<StatsSnapshot["sandbox"]>): void {
    this.sandboxInfo = { ...info };
  }

  private jobBoundsInfo: StatsSnapshot["jobBounds"];

  /** Recorded once at start (the job cgroups or their fallback). */
  setJobBounds(info: NonNullable<StatsSnapshot["jobBounds"]>): void {
    this.jobBoundsInfo = { ...info };
  }

  snapshot(): StatsSnapshot {
    const now = Date.now();
    const live = this.live();
    let cumulative = 0;
    return {
      startedAt: new Date(this.started).toISOString(),
      uptimeSeconds: Math.round((now - this.started) / 1000),
      tcpAccept: this.tcpAccept,
      results: { ...this.results },
      reasons: Object.fromEntries(this.reasons),
      probes: this.probes,
      running: live.running,
      queued: live.queued,
      connections: live.connections,
      ...(live.memory ? { memory: { ...live.memory } } : {}),
      maxKids: this.maxKids,
      avgKids: [...this.avgKids],
      compiles: MINUTES.map((m) => this.finishTimes.filter((t) => t >= now - m * 60_000).length) as [
        number,
        number,
        number,
      ],
      ...(this.longest ? { longestJob: { ...this.longest } } : {}),
      compileTime: {
        buckets: COMPILE_TIME_BUCKETS.map((le, i) => {
          cumulative += this.histogram[i] as number;
          return { le, count: cumulative };
        }),
        count: this.compileCount,
        sumSeconds: this.compileSeconds,
      },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      perCompiler: Object.fromEntries([...this.perCompiler].map(([k, v]) => [k, { ...v }])),
      ...(this.sandboxInfo ? { sandbox: { ...this.sandboxInfo } } : {}),
      ...(this.jobBoundsInfo ? { jobBounds: { ...this.jobBoundsInfo } } : {}),
    };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
