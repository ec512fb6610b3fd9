// One file though long: a bench is read top to bottom, from its setting to its summary line.
// Bench: issue #7's "weak client + strong helper", second workload: part of a Linux kernel build
// (Debian's linux-source-6.1, tinyconfig, x86_64, out-of-tree O= dirs).
//
// Setting (the same as bench/weak-client.mjs, whose runs build only the generated project; the
// cgroups, the helper and the object check come from bench/lib): the client side (make, the gcc
// driver that preprocesses, the distcc client or our launcher + agent; for the local build the whole
// compile) runs pinned to CLIENT_CPU in a cgroup v1 cpu cgroup throttled to CLIENT_QUOTA % of one
// core; the helper, Debian's distccd with the usual bench flags (bench/lib/servers.mjs), runs pinned
// to HELPER_CPU in a second cgroup, unthrottled. Both cgroups also get a cpuacct twin, so "client
// CPU" counts everything on the client side (our agent included, which wait4 of make would miss)
// and "helper CPU" the whole distccd tree.
//
// Variants, interleaved per round (the first is the baseline of the speed-ups):
//   local   make -jJ  CC=gcc
//   distcc  make -jDJ CC="distcc gcc"            DISTCC_HOSTS="127.0.0.1:PORT/4,lzo --localslots=1"
//   ours    make -jDJ CC="<our launcher> gcc"     same hosts; our agent starts inside the client cgroup
// HOSTCC stays plain gcc (fixdep, objtool and kconfig always run on the client, as with real distcc).
// Before every timed build, untimed and unthrottled: rm -rf the O= dir, `make tinyconfig` with the
// same CC (for ours the agent that this starts is stopped again, so the timed build's agent is born
// in the client cgroup). After all rounds: `objdump -d` of every object of each distributed build
// (or CHECK_SAMPLE of them) must equal the local build's.
//
// Run after `pnpm build`, as root (cgroup writes):
//   node bench/weak-kernel.mjs           # TARGET="kernel/" (87 objects + the prepare steps), ROUNDS=1:
//                                        # ~9 min in all, the local build ~3-4 min at 25 %
//   TARGET=vmlinux node bench/weak-kernel.mjs   # the whole tinyconfig vmlinux (~500 objects): the local
//                                        # build alone ~15 min at 25 % (233 s CPU), ~35 min in all
// TARGET="kernel/" was picked by measuring (a build of one directory also runs `prepare`: ~9 s of CPU,
// mostly HOSTCC, that stays on the client): kernel/ 45-57 s of client CPU, 184-226 s wall at 25 %.
// Environment: TARGET (make targets, space-separated; default "kernel/"), ROUNDS (1), VARIANTS
// ("local distcc ours"), CLIENT_QUOTA (25, % of one core), CLIENT_CPU (0), HELPER_CPU (1), J (2),
// DJ (8), PORT (3790), SERVER_JOBS (nproc), HOSTS, X86_ARCH (x86_64), KTAR, KCACHE
// (/var/cache/distcc-bench), CHECK_SAMPLE (0 = all objects), BENCH_TMP
// (/tmp/distcc-bench-weak-kernel-PORT, kept after the run: build logs, server log).
// Skipped (exit 0 with the reason) without root, a cgroup v1 cpu controller, taskset, distcc/distccd,
// the kernel source, or (for ours) apps/client/dist.
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchCgroups, cgroupSkipReason } from "./lib/cgroups.mjs";
import { sameCode } from "./lib/objects.mjs";
import {
  clientCli as cli,
  compileOks as compileOksIn,
  distccdArgv,
  startServer as startServerIn,
} from "./lib/servers.mjs";
import { ProcessGroups, SYSTEM_PATH as PATH, cpuJiffies, has, log, median } from "./lib/system.mjs";

const e = process.env;
const PORT = Number(e.PORT ?? 3790);
const cfg = {
  target: (e.TARGET ?? "kernel/").split(/\s+/).filter(Boolean),
  rounds: Number(e.ROUNDS ?? 1),
  variants: (e.VARIANTS ?? "local distcc ours").split(/\s+/).filter(Boolean),
  clientQuota: Number(e.CLIENT_QUOTA ?? 25),
  clientCpu: e.CLIENT_CPU ?? "0",
  helperCpu: e.HELPER_CPU ?? "1",
  j: e.J ?? "2",
  dj: e.DJ ?? "8",
  serverJobs: e.SERVER_JOBS ?? String(cpus().length),
  hosts: e.HOSTS ?? `127.0.0.1:${PORT}/4,lzo --localslots=1`,
  arch: e.X86_ARCH ?? "x86_64",
  ktar: e.KTAR ?? "/usr/src/linux-source-6.1.tar.xz",
  kcache: e.KCACHE ?? "/var/cache/distcc-bench",
  checkSample: Number(e.CHECK_SAMPLE ?? 0),
  work: e.BENCH_TMP ?? `/tmp/distcc-bench-weak-kernel-${PORT}`,
};
const ksrc = join(cfg.kcache, basename(cfg.ktar, ".tar.xz"));
const W = cfg.work;

function skipReason() {
  const why = cgroupSkipReason();
  if (why) return why;
  for (const cmd of ["make", "gcc", "objdump", "distccd"]) if (!has(cmd)) return `needs ${cmd}`;
  if (cfg.variants.includes("distcc") && !has("distcc")) return "needs Debian's distcc";
  if (cfg.variants.includes("ours") && !existsSync(cli)) return `needs ${cli} (run pnpm build first)`;
  if (!existsSync(join(ksrc, "Makefile")) && !existsSync(cfg.ktar))
    return `needs the kernel source ${cfg.ktar} (apt-get install linux-source-6.1)`;
  if (cfg.variants[0] !== "local") return "VARIANTS must start with local (the baseline)";
  return undefined;
}

// ---- cgroups (<controller>/distcc-kbench-PORT-{client,helper}) and processes ----

const cgroups = new BenchCgroups(`distcc-kbench-${PORT}`);
const groups = {};
const cpuSeconds = (group) => cgroups.cpuSeconds(group);
const procs = new ProcessGroups(); // builds and the server, ended at cleanup

/** Runs argv in its own process group; output appended to logFile; resolves { code, signal, out, wall }. */
const run = (argv, { env, logFile }) => procs.run(argv, { env, logFile }).done;

const serverLog = join(W, "server.log");
async function startServer() {
  const entry = cgroups.entry(W, "in-helper", groups.helper, cfg.helperCpu);
  await startServerIn(procs, distccdArgv({ port: PORT, jobs: cfg.serverJobs, logFile: serverLog }), {
    port: PORT,
    logFile: serverLog,
    env: { ...e, PATH },
    entry,
  });
}
const compileOks = () => compileOksIn(serverLog);

/** Busy jiffies (everything but idle + iowait) per CPU, from /proc/stat. */
function busyJiffies() {
  return Object.fromEntries(Object.entries(cpuJiffies()).map(([cpu, j]) => [cpu, j.busy]));
}

// ---- our client's agent ----

const oursDir = join(W, "ours-distcc-dir");
const oursEnv = () => ({ ...e, PATH, DISTCC_DIR: oursDir, DISTCC_AGENT_IDLE_TIMEOUT: "120" });

async function stopAgent() {
  if (!existsSync(oursDir)) return;
  spawnSync(process.execPath, [cli, "agent", "stop"], { env: oursEnv(), stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if (spawnSync(process.execPath, [cli, "agent", "status"], { env: oursEnv(), stdio: "ignore" }).status !== 0) return;
    await sleep(100);
  }
  log("our agent did not stop within 10 s");
}

/** The running agent's pid and whether it sits in the client groups (it must: its CPU is the client's). */
function agentPlacement() {
  const r = spawnSync(process.execPath, [cli, "agent", "status"], { env: oursEnv(), encoding: "utf8" });
  const pid = /agent (\d+)/.exec(r.stdout ?? "")?.[1];
  if (!pid) return "no agent running";
  try {
    const inside = cgroups.contains(groups.client, pid);
    const aff = spawnSync("taskset", ["-c", "-p", pid], { encoding: "utf8" }).stdout.trim().split(" ").pop();
    return `agent ${pid} ${inside ? "inside" : "OUTSIDE"} the client cgroup, CPUs ${aff}`;
  } catch {
    return `agent ${pid} gone`;
  }
}

// ---- cleanup ----

let stopping = false;
let cleaning;
/** Stops builds, our agent and the server, then removes the cgroups; one run however often called. */
function cleanup() {
  cleaning ??= (async () => {
    await procs.stopAll();
    // after the builds: a launcher still running could start a new agent
    if (cfg.variants.includes("ours")) await stopAgent();
    await cgroups.removeAll();
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping builds and the server, removing the cgroups`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---- objects ----

function objectsUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (ent.name.endsWith(".o")) out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** .o files under the TARGET directories (all of them when TARGET names no directory, e.g. vmlinux). */
function targetObjects(o) {
  const dirs = cfg.target.filter((t) => t.endsWith("/"));
  const all = objectsUnder(o);
  return dirs.length ? all.filter((f) => dirs.some((d) => f.startsWith(d))).length : all.length;
}

function checkObjects(variant) {
  const ref = objectsUnder(join(W, "o-local"));
  let files = ref;
  if (cfg.checkSample > 0 && ref.length > cfg.checkSample) {
    const step = ref.length / cfg.checkSample;
    files = Array.from({ length: cfg.checkSample }, (_, i) => ref[Math.floor(i * step)]);
  }
  const differ = [];
  const missing = [];
  for (const f of files) {
    const theirs = join(W, `o-${variant}`, f);
    if (!existsSync(theirs)) {
      missing.push(f);
      continue;
    }
    if (!sameCode(join(W, "o-local", f), theirs)) differ.push(f);
  }
  const ok = differ.length === 0 && missing.length === 0 && files.length > 0;
  const what = files.length === ref.length ? `all ${files.length}` : `${files.length} of ${ref.length}`;
  return {
    ok,
    line: ok
      ? `PASS ${variant}: objdump -d equals the local build for ${what} objects`
      : `FAIL ${variant}: of ${what} objects, ${differ.length} differ${differ.length ? ` (${differ.slice(0, 5).join(", ")})` : ""}, ${missing.length} missing${missing.length ? ` (${missing.slice(0, 5).join(", ")})` : ""}`,
  };
}

// ---- the variants ----

let launcher;
function variantSetup(v) {
  const make = ["make", "-s", "-C", ksrc, `O=${join(W, `o-${v}`)}`, `ARCH=${cfg.arch}`, "HOSTCC=gcc"];
  // fixed build stamps: init/version.o is then the same in every O= dir
  const base = {
    ...e,
    PATH,
    KBUILD_BUILD_TIMESTAMP: "2026-01-01",
    KBUILD_BUILD_USER: "bench",
    KBUILD_BUILD_HOST: "bench",
  };
  switch (v) {
    case "local":
      return { cc: "gcc", jobs: cfg.j, make, env: base };
    case "distcc":
      return {
        cc: "distcc gcc",
        jobs: cfg.dj,
        make,
        env: { ...base, DISTCC_HOSTS: cfg.hosts, DISTCC_DIR: join(W, "distcc-dir") },
      };
    case "ours":
      return { cc: `${launcher} gcc`, jobs: cfg.dj, make, env: { ...oursEnv(), ...base, DISTCC_HOSTS: cfg.hosts } };
    default:
      throw new Error(`unknown variant ${v} (local, distcc, ours)`);
  }
}

const FALLBACK = /running locally instead|failed to distribute/g;

async function oneBuild(v, round, entry) {
  const s = variantSetup(v);
  const o = join(W, `o-${v}`);
  const logFile = join(W, `${v}.log`);
  appendFileSync(logFile, `=== round ${round}: prep (rm -rf O; make tinyconfig CC="${s.cc}")\n`);
  rmSync(o, { recursive: true, force: true });
  mkdirSync(o);
  const prep = await run([...s.make, `CC=${s.cc}`, "tinyconfig"], { env: s.env, logFile });
  if (prep.code !== 0) return { failed: `tinyconfig failed (${prep.code}); see ${logFile}` };
  if (v === "ours") await stopAgent(); // the timed build's first launcher starts it in the client cgroup
  await sleep(500); // distccd logs a job's COMPILE_OK just after replying
  const before = {
    oks: compileOks(),
    client: cpuSeconds(groups.client),
    helper: cpuSeconds(groups.helper),
    busy: busyJiffies(),
    load: readFileSync("/proc/loadavg", "utf8").split(" ")[0],
  };
  appendFileSync(logFile, `=== round ${round}: build make -j${s.jobs} ${cfg.target.join(" ")} (timed)\n`);
  const b = await run([entry, ...s.make, `CC=${s.cc}`, `-j${s.jobs}`, ...cfg.target], { env: s.env, logFile });
  if (stopping) return { failed: "interrupted" };
  const placement = v === "ours" ? agentPlacement() : undefined;
  await sleep(500);
  const after = {
    oks: compileOks(),
    client: cpuSeconds(groups.client),
    helper: cpuSeconds(groups.helper),
    busy: busyJiffies(),
  };
  let summary;
  if (v === "ours") {
    summary = spawnSync(process.execPath, [cli, "summary"], { env: oursEnv(), encoding: "utf8" }).stdout.trim();
    await stopAgent();
  }
  const hz = 100; // USER_HZ
  const span = b.wall + 0.5;
  const foreign = (cpu, ours) => Math.max(0, ((after.busy[cpu] - before.busy[cpu]) / hz - (ours ?? 0)) / span) * 100;
  const r = {
    wall: b.wall,
    code: b.code,
    clientCpu: before.client === undefined ? undefined : after.client - before.client,
    helperCpu: before.helper === undefined ? undefined : after.helper - before.helper,
    objects: objectsUnder(o).length,
    targetObjects: targetObjects(o),
    remote: after.oks - before.oks,
    fallbacks: (b.out.match(FALLBACK) ?? []).length,
    load: before.load,
    foreign0: foreign(cfg.clientCpu, before.client === undefined ? undefined : after.client - before.client),
    foreign1: foreign(cfg.helperCpu, before.helper === undefined ? undefined : after.helper - before.helper),
    placement,
    summary,
  };
  if (b.code !== 0)
    r.failed = `build exited ${b.code}${b.signal ? ` (${b.signal})` : ""}; see ${logFile}:\n${b.out.split("\n").slice(-8).join("\n")}`;
  return r;
}

// ---- main ----

const why = skipReason();
if (why) {
  console.log(`weak-kernel: skipped (${why})`);
  process.exit(0);
}

const fx = (x, d = 1) => (x === undefined || Number.isNaN(x) ? "?" : x.toFixed(d));

let rc = 0;
const t0 = performance.now();
try {
  if (!existsSync(join(ksrc, "Makefile"))) {
    log(`extracting ${cfg.ktar} into ${cfg.kcache} (once)`);
    mkdirSync(cfg.kcache, { recursive: true });
    const x = spawnSync("tar", ["xf", cfg.ktar, "-C", cfg.kcache], { stdio: "inherit" });
    if (x.status !== 0) throw new Error("tar failed");
  }
  rmSync(W, { recursive: true, force: true });
  mkdirSync(W, { recursive: true });
  chmodSync(W, 0o755);

  groups.client = cgroups.create("client", cfg.clientQuota);
  groups.helper = cgroups.create("helper", -1);
  const clientEntry = cgroups.entry(W, "in-client", groups.client, cfg.clientCpu);
  if (cfg.variants.some((v) => v !== "local")) await startServer();
  mkdirSync(join(W, "distcc-dir"));
  if (cfg.variants.includes("ours")) {
    mkdirSync(oursDir, { recursive: true });
    launcher = spawnSync(process.execPath, [cli, "launcher"], { env: oursEnv(), encoding: "utf8" }).stdout.trim();
    if (!launcher || !existsSync(launcher)) throw new Error("distcc-client launcher printed no usable path");
  }

  console.log(
    `=== kernel ${basename(ksrc)} tinyconfig ARCH=${cfg.arch}, target ${cfg.target.join(" ")}; ${cfg.rounds} interleaved round(s): ${cfg.variants.join(" ")}`,
  );
  console.log(
    `=== client: CPU ${cfg.clientCpu} at ${cfg.clientQuota} % of a core; helper: distccd --jobs ${cfg.serverJobs} on CPU ${cfg.helperCpu}, unthrottled`,
  );
  console.log(
    `=== local: make -j${cfg.j} CC=gcc; distributed: make -j${cfg.dj} CC="distcc gcc" | CC="${launcher ?? "<launcher>"} gcc", DISTCC_HOSTS="${cfg.hosts}"`,
  );
  console.log(`=== load before: ${readFileSync("/proc/loadavg", "utf8").trim()}; work dir ${W}`);

  const results = Object.fromEntries(cfg.variants.map((v) => [v, []]));
  for (let round = 0; round < cfg.rounds; round++) {
    for (const v of cfg.variants) {
      if (stopping) break;
      log(`round ${round} ${v}: tinyconfig, then the timed build`);
      const r = await oneBuild(v, round, clientEntry);
      results[v].push(r);
      if (r.failed) {
        rc = 1;
        console.log(`  FAILED: ${r.failed}`);
        continue;
      }
      console.log(
        `  round ${round} ${v}: wall ${fx(r.wall)} s, client CPU ${fx(r.clientCpu)} s, helper CPU ${fx(r.helperCpu)} s, ${r.objects} .o (${r.targetObjects} in TARGET), ` +
          `${r.remote} COMPILE_OK, ${r.fallbacks} fallback warnings; load1 before ${r.load}; foreign busy CPU${cfg.clientCpu} ${fx(r.foreign0, 0)} % CPU${cfg.helperCpu} ${fx(r.foreign1, 0)} %`,
      );
      if (r.placement) console.log(`  ${r.placement}`);
      if (r.summary) console.log(r.summary.replace(/^/gm, "    "));
    }
  }

  if (stopping) throw new Error("interrupted");
  const checks = cfg.variants
    .filter((v) => v !== "local" && results[v].some((r) => !r.failed) && results.local.some((r) => !r.failed))
    .map((v) => checkObjects(v));
  if (checks.some((c) => !c.ok)) rc = 1;

  const wall = (v) => results[v].map((r) => (r.failed ? NaN : r.wall));
  console.log(
    `\n=== weak client (${cfg.clientQuota} % of CPU ${cfg.clientCpu}) + distccd on CPU ${cfg.helperCpu}: kernel tinyconfig ${cfg.target.join(" ")}, ${cfg.rounds} round(s)`,
  );
  console.log(
    `${"variant".padEnd(8)} ${"wall s (min-max)".padEnd(20)} ${"speed-up (min-max)".padEnd(20)} ${"client CPU s".padStart(12)} ${"helper CPU s".padStart(12)} ${".o files".padStart(8)} ${"remote jobs".padStart(11)} ${"fallbacks".padStart(9)}`,
  );
  const summ = [];
  for (const v of cfg.variants) {
    const w = wall(v);
    const sp = w.map((x, i) => wall("local")[i] / x).filter((x) => !Number.isNaN(x));
    const ok = results[v].filter((r) => !r.failed);
    const m = median(w.filter((x) => !Number.isNaN(x)));
    const range = (xs, d) =>
      xs.length ? `${fx(median(xs), d)} (${fx(Math.min(...xs), d)}-${fx(Math.max(...xs), d)})` : "?";
    const list = (xs) => [...new Set(xs)].join(",") || "?";
    console.log(
      `${v.padEnd(8)} ${range(
        w.filter((x) => !Number.isNaN(x)),
        1,
      ).padEnd(20)} ${(sp.length ? `${range(sp, 2)}x` : "?").padEnd(20)} ` +
        `${fx(median(ok.map((r) => r.clientCpu ?? NaN))).padStart(12)} ${(v === "local" ? "-" : fx(median(ok.map((r) => r.helperCpu ?? NaN)))).padStart(12)} ` +
        `${list(ok.map((r) => r.objects)).padStart(8)} ${list(ok.map((r) => r.remote)).padStart(11)} ${list(ok.map((r) => r.fallbacks)).padStart(9)}`,
    );
    summ.push(`${v}_s=${fx(m, 2)} ${v}_speedup=${sp.length ? median(sp).toFixed(3) : "nan"}`);
  }
  for (const c of checks) console.log(c.line);
  console.log(
    "speed-up = median over rounds of local wall / variant wall (same round); client CPU = the client cgroup's cpuacct (make, gcc -E, distcc or our launcher + agent); remote jobs = COMPILE_OK in distccd's log during the build",
  );
  console.log(`SUMMARY weak-kernel ${summ.join(" ")}`);
} catch (err) {
  rc = 1;
  if (!stopping) console.log(`weak-kernel: ${err.message}`);
} finally {
  await cleanup();
  log(`whole run ${fx((performance.now() - t0) / 1000, 0)} s; logs in ${W}`);
}
process.exit(rc);
