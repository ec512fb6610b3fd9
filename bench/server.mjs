// bench/server.mjs: our distcc-server against Debian's distccd, in one run, on this machine.
//   (a) trivial compiles per second with 2 and 8 concurrent real `distcc` clients (protocol 2, ,lzo)
//   (b) wall time of `make -j8 CC="distcc gcc"` on a generated project through each server
//   (c) peak RSS of each server's own processes (compilers excluded) during (a)
//   (d) CPU time of each server's own processes per trivial job during (a) (utime+stime from
//       /proc/PID/stat, compilers excluded: far less noisy than throughput on a shared machine)
// Rounds are interleaved (distccd, ours, distccd, ours, ...) and the median is reported.
// Run after `pnpm build`: `node bench/server.mjs` (or `pnpm bench server`).
// Three servers: distccd, ours (default settings) and ours with --inline-spawn (or, with
// ALT_ARGS="--sandbox none", ours with those flags instead: the sandbox's cost, interleaved).
// Environment: DURATION (s per load run, default 6), ROUNDS (default 2), NFILES (default 150),
// SERVER_JOBS (default nproc), KEEP=1 keeps the scratch dir.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync, cpSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { distccdArgv, oursServerArgv, serverCli } from "./lib/servers.mjs";
import { freePort, waitPort } from "./lib/system.mjs";

const execFileP = promisify(execFile);
const DURATION = Number(process.env.DURATION ?? 6);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const NFILES = Number(process.env.NFILES ?? 150);
const JOBS = Number(process.env.SERVER_JOBS ?? availableParallelism());
const CONCURRENCY = [2, 8];
// The third server's flags (default --inline-spawn); its label is "ours+alt" when they are given.
const ALT_ARGS = (process.env.ALT_ARGS ?? "--inline-spawn").split(" ").filter(Boolean);
const ALT_KIND = process.env.ALT_ARGS ? "ours+alt" : "ours+inline";

if (!existsSync(serverCli)) {
  console.error(`bench/server.mjs: ${serverCli} is missing; run \`pnpm build\` first`);
  process.exit(1);
}
for (const tool of ["distcc", "distccd", "gcc", "make"]) {
  try {
    await execFileP("sh", ["-c", `command -v ${tool}`]);
  } catch {
    console.error(`bench/server.mjs: ${tool} is not installed`);
    process.exit(1);
  }
}

const work = join(tmpdir(), `distcc-server-bench-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
chmodSync(work, 0o777);

/** Every process as { pid, ppid, comm, rssKb, cpuTicks } from /proc (cpuTicks: its own utime+stime). */
function processTable() {
  const out = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const f = stat.slice(close + 2).split(" ");
      out.push({
        pid: Number(e),
        ppid: Number(f[1]),
        comm,
        rssKb: Number(f[21]) * 4,
        cpuTicks: Number(f[11]) + Number(f[12]),
      });
    } catch {
      // gone
    }
  }
  return out;
}

/** The server's own processes (the tree under root, compilers and their helpers excluded). */
function serverProcesses(rootPid, ownComm, table = processTable()) {
  const children = new Map();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const root = table.find((p) => p.pid === rootPid);
  if (!root) return [];
  const own = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    if (ownComm(p.comm)) own.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return own;
}

const serverRssKb = (rootPid, ownComm) => serverProcesses(rootPid, ownComm).reduce((sum, p) => sum + p.rssKb, 0);

function processRssKb(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Our server's own processes: the node process, plus its C spawn helper (its compilers are its children, not counted). */
function oursProcesses(pid, table = processTable()) {
  return table.filter((p) => p.pid === pid || (p.ppid === pid && p.comm === "spawn"));
}

function oursRssKb(pid) {
  // VmRSS of the node process (its stat RSS can lag), the helpers' from the table.
  return (
    processRssKb(pid) +
    oursProcesses(pid)
      .filter((p) => p.pid !== pid)
      .reduce((sum, p) => sum + p.rssKb, 0)
  );
}

/**
 * CPU ticks used by a server's own processes. distccd's workers come and go: each process's last
 * seen figure is kept, so one that exited still counts (up to its last sample, 100 ms before).
 */
function cpuMeter(processes) {
  const last = new Map();
  return {
    sample() {
      for (const p of processes()) last.set(p.pid, p.cpuTicks);
    },
    total() {
      let sum = 0;
      for (const t of last.values()) sum += t;
      return sum;
    },
  };
}
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Busy CPU ticks of the whole machine (/proc/stat: everything but idle and iowait). Includes the
 *  compilers, the clients, a sandbox's set-up and tear-down in kernel threads, and any other load. */
function machineBusyTicks() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3] - f[4];
}

async function startServer(kind) {
  const port = await freePort();
  const log = join(work, `${kind}-${port}.log`);
  writeFileSync(log, "");
  chmodSync(log, 0o666);
  const argv =
    kind === "distccd"
      ? distccdArgv({ port, jobs: JOBS, logFile: log, logLevel: "notice" })
      : oursServerArgv({
          port,
          jobs: JOBS,
          logFile: log,
          flags: [
            ...(kind === ALT_KIND ? ALT_ARGS : []),
            "--nice",
            "0",
            "--log-level",
            "notice",
            "--cache-file",
            join(work, "cache.json"),
          ],
        });
  // distccd signals its whole process group when it stops: give each server its own session.
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: "ignore" });
  if (!(await waitPort(port, 15_000))) throw new Error(`nothing listens on ${port}`);
  return {
    kind,
    port,
    pid: child.pid,
    // distccd: its master and preforked workers. Ours: the one node process. (Children between fork
    // and exec still carry the parent's name and share its pages: counting them would count the
    // server twice, so for ours the tree is not walked.)
    rss: () => (kind === "distccd" ? serverRssKb(child.pid, (c) => c === "distccd") : oursRssKb(child.pid)),
    cpu: cpuMeter(() =>
      kind === "distccd" ? serverProcesses(child.pid, (c) => c === "distccd") : oursProcesses(child.pid),
    ),
    async stop() {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
    },
  };
}

function clientEnv(hosts, stateDir) {
  mkdirSync(stateDir, { recursive: true });
  return {
    ...process.env,
    DISTCC_HOSTS: hosts,
    DISTCC_FALLBACK: "0",
    DISTCC_DIR: stateDir,
    DISTCC_BACKOFF_PERIOD: "0",
  };
}

/** (a)+(c): C client loops compiling tiny.c for DURATION seconds. */
async function loadRun(server, clients) {
  const dir = join(work, `load-${server.kind.replace("+", "-")}-${clients}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "tiny.c"), "int add(int a, int b) { return a + b; }\n");
  const env = clientEnv(`127.0.0.1:${server.port}/${Math.max(clients, 4)},lzo`, join(dir, "state"));
  let peakKb = server.rss();
  server.cpu.sample();
  const cpuBefore = server.cpu.total();
  const machineBefore = machineBusyTicks();
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, server.rss());
    server.cpu.sample();
  }, 100);
  const end = Date.now() + DURATION * 1000;
  let ok = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (Date.now() < end) {
        try {
          await execFileP("distcc", ["gcc", "-O2", "-c", "tiny.c", "-o", `out${i}.o`], { cwd: dir, env });
          ok++;
        } catch {
          failed++;
        }
      }
    }),
  );
  clearInterval(sampler);
  server.cpu.sample();
  const cpuMsPerJob = ok > 0 ? ((server.cpu.total() - cpuBefore) * TICK_MS) / ok : 0;
  const machineMsPerJob = ok > 0 ? ((machineBusyTicks() - machineBefore) * TICK_MS) / ok : 0;
  return { perSecond: ok / DURATION, failed, peakKb, cpuMsPerJob, machineMsPerJob };
}

/** (b): make -j8 of the generated project through the server. */
async function makeRun(server, round) {
  const dir = join(work, `make-${server.kind.replace("+", "-")}-${round}`);
  cpSync(join(work, "project"), dir, { recursive: true });
  const env = clientEnv(`127.0.0.1:${server.port}/8,lzo`, join(dir, "state"));
  const t0 = performance.now();
  await execFileP("make", ["-j8", "CC=distcc gcc"], { cwd: dir, env, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

function generateProject(root) {
  mkdirSync(join(root, "src"), { recursive: true });
  writeFileSync(
    join(root, "common.h"),
    "#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n#define SCALE 7\n",
  );
  for (let i = 0; i < NFILES; i++) {
    writeFileSync(
      join(root, "src", `u${i}.c`),
      `#include "../common.h"\nstatic long h${i}(long x) { long s = 0; for (long k = 0; k < x; k++) s += (k * SCALE) ^ ${i}; return s; }\n` +
        `long f${i}(long a) { char b[32]; snprintf(b, sizeof b, "%ld", a); return h${i}(a) + (long)strlen(b); }\n`,
    );
  }
  writeFileSync(
    join(root, "Makefile"),
    "OBJS := $(patsubst %.c,%.o,$(wildcard src/*.c))\nall: $(OBJS)\n%.o: %.c\n\t$(CC) -O2 -g -Wall -c $< -o $@\n",
  );
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

generateProject(join(work, "project"));
console.log(
  `distcc-server vs distccd: --jobs ${JOBS}, ${DURATION} s per load run, ${ROUNDS} interleaved rounds, ${NFILES}-file project, ${availableParallelism()} CPUs`,
);

const KINDS = ["distccd", "ours", ALT_KIND];
const results = Object.fromEntries(
  KINDS.map((k) => [k, { load: {}, cpu: {}, machine: {}, make: [], peakKb: 0, idleKb: 0 }]),
);
for (const c of CONCURRENCY)
  for (const k of Object.keys(results)) [results[k].load[c], results[k].cpu[c], results[k].machine[c]] = [[], [], []];

const servers = {};
for (const k of KINDS) servers[k] = await startServer(k);
try {
  // One warm-up compile each (page cache, our compiler probe cache).
  for (const s of Object.values(servers)) {
    await loadRun({ ...s, kind: `${s.kind.replace("+", "-")}-warm` }, 1).catch(() => {});
    results[s.kind].idleKb = s.rss();
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONCURRENCY) {
      for (const kind of KINDS) {
        const r = await loadRun(servers[kind], c);
        results[kind].load[c].push(r.perSecond);
        results[kind].cpu[c].push(r.cpuMsPerJob);
        results[kind].machine[c].push(r.machineMsPerJob);
        results[kind].peakKb = Math.max(results[kind].peakKb, r.peakKb);
        if (r.failed) console.log(`  ${kind}: ${r.failed} failed compiles with ${c} clients`);
        console.log(
          `  round ${round + 1}, ${c} clients, ${kind}: ${r.perSecond.toFixed(1)} compiles/s, server CPU ${r.cpuMsPerJob.toFixed(2)} ms/job, machine CPU ${r.machineMsPerJob.toFixed(1)} ms/job, peak RSS ${(r.peakKb / 1024).toFixed(1)} MB`,
        );
      }
    }
    for (const kind of KINDS) {
      const seconds = await makeRun(servers[kind], round);
      results[kind].make.push(seconds);
      console.log(`  round ${round + 1}, make -j8, ${kind}: ${seconds.toFixed(2)} s`);
    }
  }
} finally {
  for (const s of Object.values(servers)) await s.stop();
  if (process.env.KEEP !== "1") rmSync(work, { recursive: true, force: true });
}

const row = (label, d, o, h, unit, digits = 1) => {
  console.log(
    `${label.padEnd(34)} ${d.toFixed(digits).padStart(9)} ${o.toFixed(digits).padStart(9)} ${h.toFixed(digits).padStart(12)} ${unit.padEnd(11)} ${(o / d).toFixed(2).padStart(6)} ${(h / d).toFixed(2).padStart(8)}`,
  );
};
const R = results;
console.log("");
console.log(
  `${"measure (median)".padEnd(34)} ${"distccd".padStart(9)} ${"ours".padStart(9)} ${ALT_KIND.padStart(12)} ${"unit".padEnd(11)} ${"ratio".padStart(6)} ${"ratio+h".padStart(8)}`,
);
for (const c of CONCURRENCY) {
  row(
    `trivial compiles, ${c} clients`,
    median(R.distccd.load[c]),
    median(R.ours.load[c]),
    median(R[ALT_KIND].load[c]),
    "compiles/s",
  );
}
for (const c of CONCURRENCY) {
  row(
    `server CPU per job, ${c} clients`,
    median(R.distccd.cpu[c]),
    median(R.ours.cpu[c]),
    median(R[ALT_KIND].cpu[c]),
    "ms",
    2,
  );
}
for (const c of CONCURRENCY) {
  row(
    `machine CPU per job, ${c} clients`,
    median(R.distccd.machine[c]),
    median(R.ours.machine[c]),
    median(R[ALT_KIND].machine[c]),
    "ms",
    1,
  );
}
row(`make -j8, ${NFILES} files`, median(R.distccd.make), median(R.ours.make), median(R[ALT_KIND].make), "s", 2);
row("server RSS, idle", R.distccd.idleKb / 1024, R.ours.idleKb / 1024, R[ALT_KIND].idleKb / 1024, "MB");
row("server RSS, peak under load", R.distccd.peakKb / 1024, R.ours.peakKb / 1024, R[ALT_KIND].peakKb / 1024, "MB");
console.log(`\nratio = ours/distccd, ratio+h = ours ${ALT_ARGS.join(" ")}/distccd.`);
console.log(" Goals: throughput ratio >= 0.9 (within 10%),");
console.log("make time ratio <= 1.1, our RSS (own processes, helper included) < 100 MB.");
