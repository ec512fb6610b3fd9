// One run of the weak-client setting (bench/weak-client.mjs calls it once per client per round): the
// client side (make, the compiler driver that preprocesses, the distcc client; for the local build the
// whole compile) runs pinned to CLIENT_CPU in a cgroup throttled to CLIENT_QUOTA % of one core; one
// helper server runs pinned to HELPER_CPU in a second group, unthrottled (variant `distcc`) or at
// HELPER_QUOTA % (`distcc-slow-helper`, a helper slower than the client), the quota switched between
// builds. Workload: the generated project (gen-project.mjs), `make clean` untimed before every build.
// First a correctness check (one DISTCC_FALLBACK=0 build in the weak-client setting; objdump -d of
// every object equals a plain local build's), then interleaved rounds of the variants, then a table:
// wall median (min-max), speed-up over the first variant (median of per-round ratios), client CPU
// (the client cgroup's cpuacct: everything on the client side, a daemon of the client included),
// server CPU (the helper cgroup's cpuacct), remote jobs per build (COMPILE_OK lines in the server log),
// load before each build, per-CPU busy % over the whole run, the groups' throttling counters, and the
// `SUMMARY weak-client NAME_s=… NAME_speedup=…` line.
// The figures of real distcc in this setting: bench/BASELINE-distcc.md, section 9.
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, chmodSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { BenchCgroups } from "./cgroups.mjs";
import { generateProject } from "./gen-project.mjs";
import { sameCode } from "./objects.mjs";
import { compileOks, distccdArgv, startServer, templateArgv } from "./servers.mjs";
import { ProcessGroups, SYSTEM_PATH, cpuJiffies, load1, log, median } from "./system.mjs";

/** The knobs, from the environment (names as in the bench's usage line), with the measured defaults. */
export function weakClientConfig(e = process.env) {
  const port = Number(e.PORT ?? 3752);
  return {
    port,
    nfiles: Number(e.NFILES ?? 120),
    seed: Number(e.SEED ?? 1),
    rounds: 1, // rounds of the bench alternate whole runs (each with its own local baseline), not builds
    warmup: Number(e.WARMUP ?? 0),
    j: e.J ?? "2",
    dj: e.DJ ?? "8",
    cc: e.CC ?? "gcc",
    cflags: e.CFLAGS ?? "-O2 -g -Wall",
    variants: (e.VARIANTS ?? "local distcc distcc-slow-helper").split(/\s+/).filter(Boolean),
    clientQuota: Number(e.CLIENT_QUOTA ?? 25),
    // 15 % is slower than the client, and keeps the slow build under ~2 min at NFILES=120
    helperQuota: Number(e.HELPER_QUOTA ?? 15),
    strongQuota: Number(e.STRONG_QUOTA ?? -1),
    clientCpu: e.CLIENT_CPU ?? "0",
    helperCpu: e.HELPER_CPU ?? "1",
    hosts: e.HOSTS ?? `127.0.0.1:${port}/4,lzo --localslots=1`,
    serverJobs: e.SERVER_JOBS ?? String(cpus().length),
    serverCmd: e.SERVER_CMD,
    work: e.BENCH_TMP ?? `/tmp/distcc-bench-weak-client-${port}`,
  };
}

const fx = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : "?");

/**
 * Runs the setting once with `ccwrap` (e.g. "distcc" or our launcher's path) in front of CC; clientEnv
 * is added to the distributed builds' environment; beforeCleanup(runs) is awaited after the last
 * build, while the client cgroup (and whatever daemon the client left in it) still exists.
 * Resolves { code, figures, check }: figures as in the SUMMARY line, check the PASS/FAIL line.
 */
export async function weakClientRun({ cfg, ccwrap, clientEnv = {}, beforeCleanup }) {
  const W = join(cfg.work, "weak-client");
  const P = join(W, "proj");
  const serverLog = join(W, "server.log");
  const procs = new ProcessGroups();
  const groups = new BenchCgroups(`distcc-bench-${cfg.port}`);
  let code = 0;
  let check = "FAIL no correctness check ran";
  const figures = {};
  const onSignal = () => {
    console.log("interrupted: stopping builds and the server, removing the cgroups");
    procs
      .stopAll()
      .then(() => groups.removeAll())
      .finally(() => process.exit(130));
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.once(sig, onSignal);
  try {
    rmSync(W, { recursive: true, force: true });
    mkdirSync(W, { recursive: true });
    chmodSync(W, 0o755);
    const client = groups.create("client", cfg.clientQuota);
    const helper = groups.create("helper", cfg.strongQuota);
    const inClient = groups.entry(W, "in-client", client, cfg.clientCpu);
    const inHelper = groups.entry(W, "in-helper", helper, cfg.helperCpu);

    const serverArgv = cfg.serverCmd
      ? templateArgv(cfg.serverCmd, { port: cfg.port, jobs: cfg.serverJobs, logFile: serverLog })
      : distccdArgv({ port: cfg.port, jobs: cfg.serverJobs, logFile: serverLog });
    const serverPid = await startServer(procs, serverArgv, {
      port: cfg.port,
      logFile: serverLog,
      env: { ...process.env, PATH: SYSTEM_PATH },
      entry: inHelper,
    });
    const tree = spawnSync("ps", ["-e", "-o", "pid=,pgid="], { encoding: "utf8" })
      .stdout.split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((x) => x[1] === String(serverPid))
      .map((x) => x[0]);
    const affinity = spawnSync("taskset", ["-c", "-p", String(serverPid)], { encoding: "utf8" })
      .stdout.trim()
      .split(" ")
      .pop();
    log(
      `server pid ${serverPid} on 127.0.0.1:${cfg.port} (--jobs ${cfg.serverJobs}): ${tree.filter((p) => groups.contains(helper, p)).length}/${tree.length} processes in ${helper.name}, affinity ${affinity}`,
    );

    const project = generateProject(P, cfg.nfiles, cfg.seed);
    const wrapped = `${ccwrap} ${cfg.cc}`;
    console.log(
      `=== project: ${cfg.nfiles} files, ${project.bytes} bytes of source; sha256 of sources ${project.sha256}`,
    );
    console.log(
      `=== client: CPU ${cfg.clientCpu}, quota ${cfg.clientQuota} % of a core; helper: CPU ${cfg.helperCpu}, quota ${cfg.strongQuota} (distcc) / ${cfg.helperQuota} (distcc-slow-helper) % of a core (-1 = none)`,
    );
    console.log(
      `=== local: make -j${cfg.j} CC=${cfg.cc}; distributed: make -j${cfg.dj} CC="${wrapped}" DISTCC_HOSTS="${cfg.hosts}"; CFLAGS=${cfg.cflags}`,
    );
    console.log(`=== load before: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    const jiffies0 = cpuJiffies();

    const env = { ...process.env, PATH: SYSTEM_PATH };
    const distEnv = { ...env, ...clientEnv, DISTCC_HOSTS: cfg.hosts };
    const make = (...args) => ["make", "-s", "-C", P, ...args];
    const clean = () => spawnSync("make", ["-s", "-C", P, "clean"], { env, stdio: "ignore" });

    // correctness first: reference objects from a plain local build (unthrottled, untimed), then one
    // distributed build without fallback in the weak-client setting
    clean();
    spawnSync("make", ["-s", "-C", P, `-j${cpus().length}`, `CC=${cfg.cc}`, `CFLAGS=${cfg.cflags}`], {
      env,
      stdio: "ignore",
    });
    const ref = join(W, "ref");
    mkdirSync(ref);
    const objects = readdirSync(join(P, "obj")).filter((f) => f.endsWith(".o"));
    for (const o of objects) copyFileSync(join(P, "obj", o), join(ref, o));
    clean();
    const ok0 = compileOks(serverLog);
    const c = await procs.run([inClient, ...make(`-j${cfg.dj}`, `CC=${wrapped}`, `CFLAGS=${cfg.cflags}`)], {
      env: { ...distEnv, DISTCC_FALLBACK: "0" },
      logFile: join(W, "check.log"),
    }).done;
    if (c.code === 0) {
      const bad = objects.filter((o) => !sameCode(join(ref, o), join(P, "obj", o)));
      check =
        objects.length === cfg.nfiles && bad.length === 0
          ? `PASS distributed build (weak client, no fallback) == local object code for all ${cfg.nfiles} files`
          : `FAIL ${bad.length} of ${objects.length} objects differ from the local build${bad.length ? ` (${bad.slice(0, 5).join(", ")})` : ""}`;
      console.log(check);
      await sleep(500); // the server logs a job's COMPILE_OK just after replying
      console.log(
        `check build: ${Math.round(c.wall * 1000)} ms wall; ${compileOks(serverLog) - ok0} COMPILE_OK in the server log (expected ${cfg.nfiles})`,
      );
    } else {
      check = `FAIL distributed build with DISTCC_FALLBACK=0 failed; see ${join(W, "check.log")}`;
      console.log(check);
      console.log(c.out.trim().split("\n").slice(-5).join("\n"));
    }
    if (check.startsWith("FAIL")) code = 1;

    // interleaved rounds; before every build, untimed: make clean, the helper's quota for this variant
    console.log(`=== ${cfg.rounds} interleaved rounds (+${cfg.warmup} warm-up): ${cfg.variants.join(" ")}`);
    const runs = Object.fromEntries(cfg.variants.map((v) => [v, []]));
    for (let round = 0; round < cfg.warmup + cfg.rounds; round++) {
      for (const v of cfg.variants) {
        const argv =
          v === "local"
            ? [inClient, ...make(`-j${cfg.j}`, `CC=${cfg.cc}`, `CFLAGS=${cfg.cflags}`)]
            : [inClient, ...make(`-j${cfg.dj}`, `CC=${wrapped}`, `CFLAGS=${cfg.cflags}`)];
        if (!["local", "distcc", "distcc-slow-helper"].includes(v)) throw new Error(`unknown variant ${v}`);
        clean();
        groups.setQuota(helper, v === "distcc-slow-helper" ? cfg.helperQuota : cfg.strongQuota);
        await sleep(500);
        const before = {
          load: load1(),
          oks: compileOks(serverLog),
          client: groups.cpuSeconds(client),
          helper: groups.cpuSeconds(helper),
        };
        const b = await procs.run(argv, { env: v === "local" ? env : distEnv, logFile: join(W, `${v}.log`) }).done;
        await sleep(500);
        const r = {
          wall: b.wall,
          code: b.code,
          clientCpu: groups.cpuSeconds(client) - before.client,
          serverCpu: groups.cpuSeconds(helper) - before.helper,
          remote: compileOks(serverLog) - before.oks,
          load: before.load,
        };
        console.log(
          `  round ${round} ${v}: wall ${r.wall.toFixed(4)}s client cpu ${fx(r.clientCpu, 4)}s rc ${r.code} srv_cpu ${fx(r.serverCpu, 4)}s remote ${r.remote}`,
        );
        if (b.code !== 0) {
          code = 1;
          console.log(`  WARNING: ${v} exited ${b.code}; see ${join(W, `${v}.log`)}`);
        }
        if (round >= cfg.warmup) runs[v].push(r);
      }
    }
    const jiffies1 = cpuJiffies();
    console.log(`=== load after: ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    for (const g of [client, helper]) console.log(`cgroup ${g.name}: ${groups.cpuStat(g)}`);

    const base = cfg.variants[0];
    console.log(
      `${"variant".padEnd(20)} ${"wall median (min-max) s".padEnd(24)} ${`speed-up vs ${base} (min-max)`.padEnd(28)} ${"client CPU s".padStart(12)} ${"server CPU s".padStart(12)} ${"remote jobs".padStart(12)}  load1 before each build`,
    );
    const summary = [];
    for (const v of cfg.variants) {
      const wall = runs[v].map((r) => r.wall);
      const speedups = runs[base].map((r, i) => r.wall / wall[i]);
      const serverCpu = runs[v].map((r) => r.serverCpu).filter(Number.isFinite);
      const mean = serverCpu.length ? serverCpu.reduce((a, b) => a + b, 0) / serverCpu.length : NaN;
      const jobs = [...new Set(runs[v].map((r) => r.remote))].sort((a, b) => a - b).join(",");
      console.log(
        `${v.padEnd(20)} ${`${fx(median(wall))} (${fx(Math.min(...wall))}-${fx(Math.max(...wall))})`.padEnd(24)} ` +
          `${`${fx(median(speedups), 2)}x (${fx(Math.min(...speedups), 2)}-${fx(Math.max(...speedups), 2)})`.padEnd(28)} ` +
          `${fx(median(runs[v].map((r) => r.clientCpu))).padStart(12)} ${(v === "local" ? "-" : fx(mean)).padStart(12)} ${`${jobs}/${cfg.nfiles}`.padStart(12)}  ${runs[v].map((r) => r.load).join(",")}`,
      );
      figures[`${v}_s`] = median(wall);
      figures[`${v}_speedup`] = median(speedups);
      summary.push(`${v}_s=${fx(median(wall), 2)} ${v}_speedup=${fx(median(speedups), 3)}`);
    }
    const busy = Object.keys(jiffies0).map((n) => {
      const d = jiffies1[n].total - jiffies0[n].total;
      const role = n === cfg.clientCpu ? " (client)" : n === cfg.helperCpu ? " (helper)" : "";
      return `cpu${n} ${Math.round((100 * (jiffies1[n].busy - jiffies0[n].busy)) / Math.max(1, d))} %${role}`;
    });
    console.log(`CPU busy over the whole run (all processes, ours + foreign): ${busy.join(", ")}`);
    console.log(`SUMMARY weak-client ${summary.join(" ")}`);
    // distccd's dcc_job_summary, our server's job_summary
    const results = readFileSync(serverLog, "utf8")
      .split("\n")
      .filter((l) => l.includes("job_summary"));
    console.log(
      `server log: ${compileOks(serverLog)} COMPILE_OK, ${results.filter((l) => !l.includes("COMPILE_OK")).length} other job results`,
    );
    await beforeCleanup?.();
  } catch (err) {
    code = 1;
    console.log(`weak-client: ${err.message}`);
  } finally {
    await procs.stopAll();
    await groups.removeAll();
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.off(sig, onSignal);
  }
  return { code, figures, check };
}
