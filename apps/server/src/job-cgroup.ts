// Per-job cgroups on v1 and v2 hierarchies, kept whole though long: creating, handing over to
// --user, pooling, and removing (also a dead server's) must agree on one layout.
import { randomBytes } from "node:crypto";
import { chownSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { chown, mkdir, readdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isErrno } from "./errno.js";

/** The bounds of one whole job (every process it starts together), 0 = none. */
export interface JobBounds {
  /** Processes (and threads) alive at once: pids.max. */
  processes: number;
  /** Memory of all its processes together (incl. what they write to the tmpfs job folder): memory.max. */
  memoryMiB: number;
}

/** How the job bounds are enforced here (the /json field and the start-up line). */
export type JobBoundKind = "cgroup-v2" | "cgroup-v1" | "rlimit-nproc" | "none";

/** The files of one controller hierarchy (v2: one for both controllers; v1: one each). */
interface Hierarchy {
  limits: { file: string; value: (b: JobBounds) => string | undefined; optional?: boolean }[];
  /** A file whose counters say a bound was hit, and how to read it. */
  /** Counters that only go up: a job hit its bound when one rose during the job. */
  hits: { file: string; bound: "processes" | "memory"; read: (text: string) => number }[];
}

const MiB = 1024 * 1024;
const field = (name: string) => (text: string) => Number(new RegExp(`(?:^|\\n)${name} (\\d+)`).exec(text)?.[1] ?? 0);
const whole = (text: string) => Number(text.trim()) || 0;

const V2: Hierarchy = {
  limits: [
    { file: "pids.max", value: (b) => (b.processes ? String(b.processes) : undefined) },
    { file: "memory.max", value: (b) => (b.memoryMiB ? String(b.memoryMiB * MiB) : undefined) },
    // No swap either, or the bound only moves the job's memory to disk.
    { file: "memory.swap.max", value: (b) => (b.memoryMiB ? "0" : undefined), optional: true },
  ],
  hits: [
    { file: "pids.events", bound: "processes", read: field("max") },
    { file: "memory.events", bound: "memory", read: field("oom_kill") },
  ],
};
const V1_PIDS: Hierarchy = {
  limits: [{ file: "pids.max", value: (b) => (b.processes ? String(b.processes) : undefined) }],
  hits: [{ file: "pids.events", bound: "processes", read: field("max") }],
};
const V1_MEMORY: Hierarchy = {
  limits: [
    { file: "memory.limit_in_bytes", value: (b) => (b.memoryMiB ? String(b.memoryMiB * MiB) : undefined) },
    {
      file: "memory.memsw.limit_in_bytes",
      value: (b) => (b.memoryMiB ? String(b.memoryMiB * MiB) : undefined),
      optional: true,
    },
  ],
  // Kernels differ in which of these they keep (failcnt stayed 0 here while the OOM killer ran):
  // either one going up says the job reached its memory.
  hits: [
    { file: "memory.oom_control", bound: "memory", read: field("oom_kill") },
    { file: "memory.failcnt", bound: "memory", read: whole },
  ],
};

interface Mount {
  root: string;
  point: string;
  type: string;
  options: string[];
}

function mounts(): Mount[] {
  const out: Mount[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const f = left.split(" ");
    const [type, , superOptions] = right.split(" ");
    if (type === "cgroup" || type === "cgroup2")
      out.push({ root: f[3] ?? "/", point: f[4] ?? "", type, options: (superOptions ?? "").split(",") });
  }
  return out;
}

/** The directory of this process's own cgroup in `mount` (its path in /proc/self/cgroup, under the mount's root). */
function ownDir(mount: Mount, path: string): string {
  const rel = mount.root !== "/" && path.startsWith(mount.root) ? path.slice(mount.root.length) : path;
  return join(mount.point, rel);
}

/** Where the pids and memory controllers are, v2 first (one place for both), else v1. */
function locate(): { kind: "cgroup-v2" | "cgroup-v1"; dirs: [string, Hierarchy][] } | undefined {
  const lines = readFileSync("/proc/self/cgroup", "utf8").split("\n").filter(Boolean);
  const own = new Map<string, string>();
  for (const line of lines) {
    const [, controllers, path] = line.split(":");
    for (const c of (controllers ?? "").split(",")) own.set(c, path ?? "/");
  }
  const all = mounts();
  const v2 = all.find((m) => m.type === "cgroup2");
  if (v2 && own.has("")) {
    const dir = ownDir(v2, own.get("") ?? "/");
    try {
      const controllers = readFileSync(join(dir, "cgroup.controllers"), "utf8").split(/\s+/);
      if (controllers.includes("pids") && controllers.includes("memory"))
        return { kind: "cgroup-v2", dirs: [[dir, V2]] };
    } catch (err) {
      // Not readable or gone: try v1.
      if (!isErrno(err, "ENOENT", "EACCES")) throw err;
    }
  }
  const pids = all.find((m) => m.type === "cgroup" && m.options.includes("pids"));
  const memory = all.find((m) => m.type === "cgroup" && m.options.includes("memory"));
  if (pids && memory && own.has("pids") && own.has("memory")) {
    return {
      kind: "cgroup-v1",
      dirs: [
        [ownDir(pids, own.get("pids") ?? "/"), V1_PIDS],
        [ownDir(memory, own.get("memory") ?? "/"), V1_MEMORY],
      ],
    };
  }
  return undefined;
}

/** Parents are named distcc-server-PID-RANDOM: the PID says whether their server is gone. */
const PARENT_PREFIX = "distcc-server-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, "EPERM");
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    // Cleaning up after a failed creation: the creation's error is the one reported.
    if (!(err instanceof Error)) throw err;
  }
}

/** Removes a cgroup, killing what is still in it; retried while its processes exit (EBUSY). */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      // Sync, as create(): usually the first try succeeds (the job's processes are gone).
      rmdirSync(dir);
      return;
    } catch (err) {
      if (isErrno(err, "ENOENT")) return;
      if (!isErrno(err, "EBUSY")) throw err;
    }
    const procs = await readFile(join(dir, "cgroup.procs"), "utf8").catch(() => "");
    for (const pid of procs.split("\n").filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch (err) {
        // Gone already, or (EPERM) not ours: rmdir says whether it is empty.
        if (!isErrno(err, "ESRCH", "EPERM")) throw err;
      }
    }
    await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
  }
}

/** The cgroup(s) of one job: the compiler joins `procs` before it runs. */
export class JobCgroup {
  /** The counters of `hits` when the job started (a cgroup is reused by the next job). */
  private baseline: number[] = [];

  constructor(
    readonly dirs: [string, Hierarchy][],
    private readonly bounds: JobBounds,
  ) {}

  get procs(): string[] {
    return this.dirs.map(([d]) => join(d, "cgroup.procs"));
  }

  private counters(): number[] {
    const out: number[] = [];
    for (const [dir, h] of this.dirs) {
      for (const c of h.hits) {
        let text = "";
        try {
          text = readFileSync(join(dir, c.file), "utf8");
        } catch (err) {
          // A counter this kernel does not keep: never counts as a hit.
          if (!isErrno(err, "ENOENT", "EINVAL", "EACCES")) throw err;
        }
        out.push(c.read(text));
      }
    }
    return out;
  }

  /** Called as a job takes the cgroup. */
  start(): void {
    this.baseline = this.counters();
  }

  /** Which bound the job hit, if any ("processes" first: a fork bomb also fails allocations). */
  hit(): "processes" | "memory" | undefined {
    const now = this.counters();
    let i = 0;
    for (const [, h] of this.dirs) {
      for (const c of h.hits) {
        const rose = (now[i] ?? 0) > (this.baseline[i] ?? 0);
        i++;
        if (rose && (c.bound === "processes" ? this.bounds.processes : this.bounds.memoryMiB) > 0) return c.bound;
      }
    }
    return undefined;
  }

  /** True when no process is left in it (it can serve the next job). */
  empty(): boolean {
    return this.procs.every((f) => {
      try {
        return readFileSync(f, "utf8").trim() === "";
      } catch (err) {
        if (isErrno(err, "ENOENT")) return false;
        throw err;
      }
    });
  }

  /** Removes the job's cgroups, killing what is left in them. */
  remove(): Promise<void> {
    return Promise.all(this.dirs.map(([d]) => removeCgroup(d))).then(() => undefined);
  }
}

/**
 * Per-job cgroups under a parent of this server's (distcc-server-PID in its own cgroup of each
 * hierarchy), made where the server may: as root, or in a cgroup delegated to its user. `owner`:
 * the user the server will become (--user), who then makes the job cgroups.
 */
export class JobCgroups {
  private next = 1;

  private constructor(
    readonly kind: "cgroup-v2" | "cgroup-v1",
    private readonly parents: [string, Hierarchy][],
    readonly bounds: JobBounds,
    /** The user the server becomes: the cgroups made while still root are handed to it. */
    private readonly owner?: { uid: number; gid: number },
  ) {}

  /** undefined when no cgroup can be made here (the reason for the log in `why`). */
  static async open(bounds: JobBounds, owner?: { uid: number; gid: number }): Promise<JobCgroups | { why: string }> {
    let found: ReturnType<typeof locate>;
    try {
      found = locate();
    } catch (err) {
      return { why: `cannot read the cgroup layout: ${(err as Error).message}` };
    }
    if (!found) return { why: "no pids and memory cgroup controllers are mounted" };
    const parents: [string, Hierarchy][] = [];
    const suffix = randomBytes(4).toString("hex");
    try {
      for (const [own, h] of found.dirs) {
        // In the background: what a dead server left may take a moment to die, and the start
        // must not wait for it (nor for a cgroup it cannot remove).
        removeStaleParents(own).catch(() => undefined);
        // Several servers may run in one process (tests, embedders): each its own parent.
        const dir = join(own, `${PARENT_PREFIX}${process.pid}-${suffix}`);
        await mkdir(dir);
        parents.push([dir, h]);
        if (found.kind === "cgroup-v2") {
          // Our own cgroup must hand the controllers down (allowed when it is a root or holds no
          // process); if it cannot, the parent's own write below fails and we fall back.
          await writeFile(join(own, "cgroup.subtree_control"), "+pids +memory").catch(() => undefined);
          await writeFile(join(dir, "cgroup.subtree_control"), "+pids +memory");
        }
        if (owner) {
          // The server's user makes and fills the job cgroups after it drops root.
          await chown(dir, owner.uid, owner.gid);
          for (const f of ["cgroup.procs", "tasks", "cgroup.subtree_control"]) {
            await chown(join(dir, f), owner.uid, owner.gid).catch((err: unknown) => {
              if (!isErrno(err, "ENOENT")) throw err;
            });
          }
        }
      }
      const cgroups = new JobCgroups(found.kind, parents, bounds, owner);
      await cgroups.probe();
      return cgroups;
    } catch (err) {
      await Promise.all(parents.map(([d]) => rmdir(d).catch(() => undefined)));
      return { why: `cannot make a cgroup (${found.kind}): ${(err as Error).message}` };
    }
  }

  /** Makes one job cgroup: proves the limits can be written (it then waits for the first job). */
  private async probe(): Promise<void> {
    this.idle.push(await this.create());
  }

  /** Optional limit files this kernel lacks (no swap accounting), learnt on the first job. */
  private readonly missing = new Set<string>();
  /**
   * Empty job cgroups kept for the next jobs: making one (~0.2 ms) and removing it after a
   * sandboxed job (~0.6 ms of kernel time, its namespaces' memory charges moved to the parent)
   * cost more server CPU than the rest of a trivial job's spawn (bench/server.mjs).
   */
  private readonly idle: JobCgroup[] = [];
  private static readonly IDLE_MAX = 64;

  /**
   * Released job cgroups not yet empty: a sandbox's init process is still exiting for a few ms
   * after bwrap reported the end. Swept at the next take() and by a timer: empty ones join the
   * pool; one not empty DRAIN_MS after its job ended has something its job left running, killed
   * with the cgroup's removal.
   */
  private readonly draining: { cgroup: JobCgroup; since: number }[] = [];
  private static readonly DRAIN_MS = 1000;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** A job cgroup for one job: an idle one, else a new one. Give it back with `release`. */
  async take(): Promise<JobCgroup> {
    this.sweep();
    const cgroup = this.idle.pop() ?? (await this.create());
    cgroup.start();
    return cgroup;
  }

  /** Back to the pool once nothing of its job is left in it. */
  release(cgroup: JobCgroup): void {
    if (this.closed) {
      cgroup.remove().catch(() => undefined);
      return;
    }
    this.draining.push({ cgroup, since: Date.now() });
    this.sweepTimer ??= setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
    }, JobCgroups.DRAIN_MS).unref();
  }

  private sweep(): void {
    const now = Date.now();
    for (let i = this.draining.length - 1; i >= 0; i--) {
      const { cgroup, since } = this.draining[i]!;
      if (cgroup.empty()) {
        this.draining.splice(i, 1);
        if (this.idle.length < JobCgroups.IDLE_MAX) this.idle.push(cgroup);
        else cgroup.remove().catch(() => undefined);
      } else if (now - since >= JobCgroups.DRAIN_MS) {
        this.draining.splice(i, 1);
        // Best effort in the background: the removal kills what is left; a failure leaves a
        // cgroup under our parent, removed at close or by the next server's start.
        cgroup.remove().catch(() => undefined);
      }
    }
    if (this.draining.length > 0 && !this.closed) {
      this.sweepTimer ??= setTimeout(() => {
        this.sweepTimer = undefined;
        this.sweep();
      }, JobCgroups.DRAIN_MS).unref();
    }
  }

  /**
   * A new cgroup for one job, with its bounds written. Synchronous: cgroupfs calls only touch
   * kernel memory and never block, and a thread-pool round trip per call cost more server CPU per
   * job than the calls themselves (measured with bench/server.mjs).
   */
  private async create(): Promise<JobCgroup> {
    const name = `job-${this.next++}`;
    const dirs: [string, Hierarchy][] = [];
    try {
      for (const [parent, h] of this.parents) {
        const dir = join(parent, name);
        mkdirSync(dir);
        dirs.push([dir, h]);
        // Made as root (the probe at start): the server's user must be able to join it.
        if (this.owner && process.getuid?.() === 0) {
          for (const f of ["", "cgroup.procs", "tasks"]) {
            try {
              chownSync(join(dir, f), this.owner.uid, this.owner.gid);
            } catch (err) {
              if (!isErrno(err, "ENOENT")) throw err;
            }
          }
        }
        for (const l of h.limits) {
          const value = l.value(this.bounds);
          if (value === undefined || this.missing.has(l.file)) continue;
          try {
            writeFileSync(join(dir, l.file), value);
          } catch (err) {
            // memsw/swap files exist only with swap accounting: the memory bound holds without.
            if (!(l.optional && isErrno(err, "ENOENT", "EINVAL", "EACCES"))) throw err;
            this.missing.add(l.file);
          }
        }
      }
    } catch (err) {
      for (const [d] of dirs) rmdirQuietly(d);
      throw err;
    }
    return new JobCgroup(dirs, this.bounds);
  }

  /** Removes the idle job cgroups and the server's parents (at close; no job runs any more). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    const all = [...this.idle.splice(0), ...this.draining.splice(0).map((d) => d.cgroup)];
    await Promise.all(all.map((c) => c.remove().catch(() => undefined)));
    await Promise.all(this.parents.map(([d]) => removeCgroup(d).catch(() => undefined)));
  }
}

/** Parents left by servers that are gone (kill -9): their job cgroups first, then the parent. */
async function removeStaleParents(own: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(own);
  } catch (err) {
    if (isErrno(err, "ENOENT", "EACCES")) return;
    throw err;
  }
  for (const n of names) {
    if (!n.startsWith(PARENT_PREFIX)) continue;
    const pid = Number(n.slice(PARENT_PREFIX.length).split("-")[0]);
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    const dir = join(own, n);
    const jobs = await readdir(dir, { withFileTypes: true }).catch(() => []);
    // Best effort: a parent that cannot be removed (another user's) is left alone.
    for (const j of jobs) if (j.isDirectory()) await removeCgroup(join(dir, j.name)).catch(() => undefined);
    await removeCgroup(dir).catch(() => undefined);
  }
}
