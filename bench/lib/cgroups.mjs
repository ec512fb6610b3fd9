// The weak-client setting's CPU limits: cgroup v1 `cpu` groups throttled with cfs_quota_us (cgroup v2's
// cpu.max is not available on the machines these benches ran on), each with a `cpuacct` twin so a
// group's CPU counts every process in it (a daemon our client starts included, which wait4 of make
// would miss), and an entry script that joins a group and pins itself to one CPU before exec'ing a
// command. Needs root.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { has } from "./system.mjs";

const CG_ROOT = "/sys/fs/cgroup";
const PERIOD_US = 100_000;

function writable(path) {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the cgroup setting cannot be built here, or undefined when it can. */
export function cgroupSkipReason() {
  if (process.getuid?.() !== 0) return "needs root (cgroup writes)";
  if (!writable(join(CG_ROOT, "cpu/cgroup.procs")) || !existsSync(join(CG_ROOT, "cpu/cpu.cfs_quota_us")))
    return `needs a writable cgroup v1 cpu controller at ${CG_ROOT}/cpu`;
  if (!has("taskset")) return "needs taskset";
  return undefined;
}

/** percent of one core -> cfs_quota_us; a negative percent is "no limit". */
function quotaUs(percent) {
  return percent < 0 ? "-1" : String(Math.round((percent * PERIOD_US) / 100));
}

function procsOf(dir) {
  try {
    return readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * The groups of one bench run, named `<prefix>-<name>`; `removeAll` ends whatever still runs inside
 * (only the bench's own processes are ever put there) and removes the directories.
 */
export class BenchCgroups {
  #made = [];
  #prefix;
  hasAcct = writable(join(CG_ROOT, "cpuacct/cgroup.procs"));

  constructor(prefix) {
    this.#prefix = prefix;
  }

  /** A group throttled to quotaPercent of one core (-1: unthrottled); returns { name, cpu, acct }. */
  create(name, quotaPercent) {
    const group = {
      name: `${this.#prefix}-${name}`,
      cpu: join(CG_ROOT, "cpu", `${this.#prefix}-${name}`),
      acct: this.hasAcct ? join(CG_ROOT, "cpuacct", `${this.#prefix}-${name}`) : undefined,
    };
    for (const dir of [group.cpu, group.acct].filter(Boolean)) {
      if (existsSync(dir)) {
        if (procsOf(dir).length) throw new Error(`${dir} exists and is in use (another run with the same PORT?)`);
        rmdirSync(dir);
      }
      mkdirSync(dir);
      this.#made.push(dir);
    }
    writeFileSync(join(group.cpu, "cpu.cfs_period_us"), String(PERIOD_US));
    // a burst would let a throttled group bank unused quota and run faster than its share
    if (existsSync(join(group.cpu, "cpu.cfs_burst_us"))) writeFileSync(join(group.cpu, "cpu.cfs_burst_us"), "0");
    this.setQuota(group, quotaPercent);
    return group;
  }

  setQuota(group, quotaPercent) {
    writeFileSync(join(group.cpu, "cpu.cfs_quota_us"), quotaUs(quotaPercent));
  }

  /** CPU seconds used so far by everything that ran in the group (undefined without cpuacct). */
  cpuSeconds(group) {
    if (!group.acct) return undefined;
    try {
      return Number(readFileSync(join(group.acct, "cpuacct.usage"), "utf8")) / 1e9;
    } catch {
      return undefined; // removed by an interrupted run's cleanup
    }
  }

  /** The throttling counters (nr_periods, nr_throttled, throttled_time) on one line. */
  cpuStat(group) {
    try {
      return readFileSync(join(group.cpu, "cpu.stat"), "utf8").trim().split("\n").join(" ");
    } catch {
      return "?";
    }
  }

  /** Whether pid sits in the group's cpu controller. */
  contains(group, pid) {
    try {
      return readFileSync(`/proc/${pid}/cgroup`, "utf8")
        .split("\n")
        .some((l) => /:(?:[^:]*,)?cpu(?:,[^:]*)?:/.test(l) && l.endsWith(`/${group.name}`));
    } catch {
      return false;
    }
  }

  /** Writes dir/fileName: a script that joins the group, pins itself to `cpu`, then execs its arguments. */
  entry(dir, fileName, group, cpu) {
    const path = join(dir, fileName);
    const lines = ["#!/bin/sh", `echo $$ >"${group.cpu}/cgroup.procs" || exit 125`];
    if (group.acct) lines.push(`echo $$ >"${group.acct}/cgroup.procs" || exit 125`);
    lines.push(`exec taskset -c ${cpu} "$@"`, "");
    writeFileSync(path, lines.join("\n"), { mode: 0o755 });
    return path;
  }

  async removeAll() {
    const dirs = this.#made.splice(0);
    const busy = () => dirs.some((d) => procsOf(d).length);
    for (const sig of ["SIGTERM", "SIGKILL"]) {
      for (let i = 0; i < 50 && busy(); i++) await sleep(100);
      for (const dir of dirs) {
        for (const p of procsOf(dir)) {
          try {
            process.kill(Number(p), sig);
          } catch {}
        }
      }
    }
    for (let i = 0; i < 20 && busy(); i++) await sleep(100);
    for (const dir of dirs.reverse()) {
      try {
        rmdirSync(dir);
      } catch (err) {
        console.log(`could not remove cgroup ${dir}: ${err.message}`);
      }
    }
  }
}
