// Small process and machine helpers shared by the benches (no package code: the benches measure the
// built apps and real distcc from outside, as a user would run them).
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** The plain system PATH: make, gcc and the clients must not probe pyenv/cargo shims of a developer's shell. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function log(msg) {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

export function has(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** A port free on 127.0.0.1 now (the kernel's pick). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts on 127.0.0.1:port; false after `timeoutMs` (about). */
export async function waitPort(port, timeoutMs = 10_000) {
  for (let i = 0; i < timeoutMs / 100; i++) {
    if (spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: "ignore" }).status === 0) return true;
    await sleep(100);
  }
  return false;
}

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Busy jiffies (everything but idle + iowait) per CPU number, from /proc/stat; also the total per CPU. */
export function cpuJiffies() {
  const out = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const t = m[2].trim().split(/\s+/).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - t[3] - t[4], total };
  }
  return out;
}

export function load1() {
  return readFileSync("/proc/loadavg", "utf8").split(" ")[0];
}

/**
 * The process groups a bench started (builds, servers), so that an interrupted run ends all of them and
 * nothing else. Each child runs in its own session: distccd signals its whole process group when it
 * terminates, which must not be the bench's.
 */
export class ProcessGroups {
  #live = new Set();

  /** Starts argv detached; output to logFile (appended) and, with capture, kept in memory. */
  run(argv, { env, cwd, logFile, capture = true } = {}) {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), {
      env,
      cwd,
      detached: true,
      stdio: ["ignore", logFile || capture ? "pipe" : "ignore", logFile || capture ? "pipe" : "ignore"],
    });
    this.#live.add(child.pid);
    let out = "";
    const take = (d) => {
      if (capture) out += d;
      if (logFile) appendFileSync(logFile, d);
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    const done = new Promise((resolve) => {
      child.on("error", (err) => take(`${argv[0]}: ${err.message}\n`));
      child.on("close", (code, signal) => {
        this.#live.delete(child.pid);
        resolve({ code: code ?? 128, signal, out, wall: (performance.now() - t0) / 1000 });
      });
    });
    return { pid: child.pid, done };
  }

  /** TERM to one group, KILL after 5 s; resolves when it is gone. */
  async stop(pid) {
    await this.#end([pid]);
  }

  async stopAll() {
    await this.#end([...this.#live]);
  }

  async #end(pids) {
    const signal = (sig) => {
      for (const p of pids) {
        try {
          process.kill(-p, sig);
        } catch {}
      }
    };
    signal("SIGTERM");
    for (let i = 0; i < 50 && pids.some((p) => this.#live.has(p)); i++) await sleep(100);
    signal("SIGKILL");
    for (let i = 0; i < 20 && pids.some((p) => this.#live.has(p)); i++) await sleep(100);
  }
}
