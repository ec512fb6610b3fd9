// Bench: distcc-client vs Debian's distcc against the same real distccd, in one run.
// 1. Per-job wall time and client-side CPU (user+sys), protocols 1 and 2, for a small file and for a
//    file of the weak-client bench's project:
//    distcc = its own rusage (which includes its cpp child) minus a standalone `gcc -E` of the file;
//    distcc-client = the native launcher's rusage (which includes the cpp it runs for the agent) minus
//    the same standalone `gcc -E`, plus the agent's own CPU per job (/proc/PID/task/*/schedstat);
//    pump mode (no cpp here) against its whole client CPU, to distccd and to our distcc-server.
// 2. A generated 200-file project: `make -j8` wall time with each client.
//    Every variant runs ROUNDS blocks of N jobs: the first block is the start of an agent's life
//    (its code still being compiled by V8), the later ones an agent that has served earlier builds.
// Run after `pnpm build`: node bench/client.mjs   (N=60 ROUNDS=3 FILES=200 to change sizes)
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, connect } from "node:net";
import { generateProject } from "./lib/gen-project.mjs";
import { distccdArgv, oursServerArgv } from "./lib/servers.mjs";
import { freePort, waitPort } from "./lib/system.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const { makeCompilerLinks, agentPaths } = await import(join(root, "apps/client/dist/index.js"));
const N = Number(process.env.N ?? 60);
const FILES = Number(process.env.FILES ?? 200);
const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3));

const work = mkdtempSync(join(tmpdir(), "bench-client-"));
chmodSync(work, 0o755);

const port = await freePort();
const [distccdCmd, ...distccdArgs] = distccdArgv({ port, jobs: 4, logFile: join(work, "distccd.log") });
const distccd = spawn(distccdCmd, distccdArgs, { stdio: "ignore", detached: true });
if (!(await waitPort(port))) throw new Error("distccd did not start");
// Never leave our distccd behind, even when a measurement throws.
const stopDistccd = () => {
  try {
    process.kill(-distccd.pid, "SIGTERM");
  } catch {
    distccd.kill("SIGTERM");
  }
};
process.on("exit", stopDistccd);
process.on("uncaughtException", (err) => {
  console.error(err);
  process.exit(1);
});

const links = makeCompilerLinks(join(work, "links"), process.env);
const launcher = links.launcherPath;
const distccDir = join(work, "state");
mkdirSync(distccDir);
writeFileSync(
  join(work, "hello.c"),
  `#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nstruct item { char name[32]; int value; };\nstatic int cmp(const void *a, const void *b) { return ((const struct item *)a)->value - ((const struct item *)b)->value; }\nint main(int argc, char **argv) { struct item items[16]; for (int i = 0; i < 16; i++) { snprintf(items[i].name, sizeof items[i].name, "item%d", i); items[i].value = (i * 7919) % 16; } qsort(items, 16, sizeof items[0], cmp); return argc > 1 ? (int)strlen(argv[1]) : 0; }\n`,
);

// A tiny Python harness: wait4() gives the child's rusage with microsecond resolution.
const harness = join(work, "harness.py");
writeFileSync(
  harness,
  `import json, os, sys, time
spec = json.load(sys.stdin)
# "jobs": several commands, run in turn n times (one of each, then again); else one command n times.
jobs = spec.get("jobs") or [{"argv": spec["argv"], "env": spec["env"]}]
out = [[] for _ in jobs]
for _ in range(spec["n"]):
    for job, times in zip(jobs, out):
        t = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.chdir(spec["cwd"])
            fd = os.open(os.devnull, os.O_RDWR)
            os.dup2(fd, 0); os.dup2(fd, 1)
            os.execvpe(job["argv"][0], job["argv"], job["env"])
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        if status != 0:
            sys.stderr.write("command failed: %r status %d\\n" % (job["argv"], status)); sys.exit(1)
        times.append([wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000])
print(json.dumps(out if "jobs" in spec else out[0]))
`,
);

function baseEnv(hosts, dir = distccDir) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("DISTCC") && !k.startsWith("_DISTCC")) env[k] = v;
  return { ...env, DISTCC_HOSTS: hosts, DISTCC_DIR: dir, DISTCC_FALLBACK: "0" };
}

// Each of our variants has an agent of its own: one variant's garbage, timers or host-list set-up
// must not be counted in another's CPU (they were, when the variants shared one agent).
const agentDirs = [];
function ownAgentDir(name) {
  const dir = join(work, `a${agentDirs.length}`); // short: a long DISTCC_DIR moves the socket elsewhere
  void name;
  mkdirSync(dir);
  agentDirs.push(dir);
  return dir;
}

function measure(argv, env, n, cwd = work) {
  const r = spawnSync("python3", [harness], {
    input: JSON.stringify({ argv, env, cwd, n }),
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** The agent's CPU time so far, all its threads, in ms (schedstat: nanoseconds, not 10 ms ticks). */
function agentCpuMs(dir) {
  const paths = agentPaths({ DISTCC_DIR: dir, HOME: process.env.HOME });
  const pid = Number(readFileSync(join(paths.agentDir, "agent.pid"), "utf8"));
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`))
    ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  return ns / 1e6;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

// Our distcc-server too: pump mode to it uses its header cache (warm after the first jobs).
const oursPort = await freePort();
const [oursCmd, ...oursArgs] = oursServerArgv({ port: oursPort, jobs: 4, logFile: join(work, "ours.log") });
const ours = spawn(oursCmd, oursArgs, {
  stdio: "ignore",
  env: { ...process.env, XDG_CACHE_HOME: join(work, "ours-cache") },
});
process.on("exit", () => ours.kill("SIGTERM"));
if (!(await waitPort(oursPort))) throw new Error("distcc-server did not start");
const hostsP1 = `127.0.0.1:${port}/4`;
const hostsP2 = `127.0.0.1:${port}/4,lzo`;
const compile = ["gcc", "-O2", "-c", "hello.c", "-o", "hello.o"];

/**
 * One table of per-job wall and client CPU for `source` (compiled in `cwd` with `flags`): distcc and
 * ours in protocols 1 and 2 (cpp on this machine), and ours in pump mode (no cpp here), interleaved.
 */
function perJobTable(label, cwd, source, flags) {
  const cc = ["gcc", ...flags, "-c", source, "-o", "out.o"];
  const slug = label.replace(/[^a-z0-9]+/gi, "-");
  const variants = {
    "gcc -E (cpp alone)": { argv: ["gcc", ...flags, "-E", source, "-o", "/dev/null"], env: baseEnv(hostsP1) },
    "gcc -c (local)": { argv: cc, env: baseEnv(hostsP1) },
    "distcc p1": { argv: ["distcc", ...cc], env: baseEnv(hostsP1) },
    "distcc p2": { argv: ["distcc", ...cc], env: baseEnv(hostsP2) },
    "distcc-client p1": { argv: [launcher, ...cc], env: baseEnv(hostsP1, ownAgentDir(`${slug}-p1`)), agent: true },
    "distcc-client p2": { argv: [launcher, ...cc], env: baseEnv(hostsP2, ownAgentDir(`${slug}-p2`)), agent: true },
    "distcc-client pump": {
      argv: [launcher, ...cc],
      env: baseEnv(`${hostsP2},cpp`, ownAgentDir(`${slug}-pump`)),
      agent: true,
    },
    "distcc-client pump→ours": {
      argv: [launcher, ...cc],
      env: baseEnv(`127.0.0.1:${oursPort}/4,lzo,cpp`, ownAgentDir(`${slug}-pump-ours`)),
      agent: true,
    },
  };
  const results = Object.fromEntries(Object.keys(variants).map((k) => [k, { runs: [], agentMs: 0, rounds: [] }]));
  // Warm up (starts the agents, fills the compiler identity cache and the helper's header cache).
  for (const v of Object.values(variants)) measure(v.argv, v.env, 3, cwd);
  // Then each variant's N jobs one after the other, as a build sends them: the agent's steady state.
  // (Jobs far apart cost an agent more each: one of each variant in turn, an agent idle for ~0.4 s
  // between its jobs, measured about twice this; the weak-client bench has whole builds.) An agent
  // serves one variant only: its whole CPU over the block, timers included, is that variant's.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, v] of Object.entries(variants)) {
      // Five jobs first, not counted: an agent that sat idle while the other variants ran spends its
      // first jobs warming up again (as at the start of a build; the weak-client bench counts that).
      measure(v.argv, v.env, 5, cwd);
      const before = v.agent ? agentCpuMs(v.env.DISTCC_DIR) : 0;
      const runs = measure(v.argv, v.env, N, cwd);
      const agentMs = v.agent ? agentCpuMs(v.env.DISTCC_DIR) - before : 0;
      results[name].runs.push(...runs);
      results[name].agentMs += agentMs;
      results[name].rounds.push({ runs, agentMs });
    }
  }
  const cppCpu = mean(results["gcc -E (cpp alone)"].runs.map((r) => r[1]));
  console.log(`per job, ${label} (${ROUNDS} x ${N} jobs in a row per variant), ms:`);
  console.log("variant                  wall med   own CPU/job   client CPU excl. cpp");
  const clientCpu = {};
  for (const [name, r] of Object.entries(results)) {
    const wall = median(r.runs.map((x) => x[0]));
    const own = mean(r.runs.map((x) => x[1]));
    let excl = "";
    if (name.startsWith("distcc p")) clientCpu[name] = own - cppCpu;
    if (name.startsWith("distcc-client")) clientCpu[name] = own - cppCpu + r.agentMs / r.runs.length;
    if (clientCpu[name] !== undefined) {
      excl = name.startsWith("distcc-client")
        ? `${clientCpu[name].toFixed(2)} (launcher ${own.toFixed(2)} - cpp ${cppCpu.toFixed(2)} + agent ${(r.agentMs / r.runs.length).toFixed(2)})`
        : `${clientCpu[name].toFixed(2)} (${own.toFixed(2)} - cpp ${cppCpu.toFixed(2)})`;
    }
    console.log(`${name.padEnd(24)} ${wall.toFixed(1).padStart(8)} ${own.toFixed(2).padStart(13)}   ${excl}`);
  }
  for (const p of ["p1", "p2"]) {
    console.log(
      `client CPU ratio ${p}: distcc-client / distcc = ${(clientCpu[`distcc-client ${p}`] / clientCpu[`distcc ${p}`]).toFixed(2)} (goal <= 2)`,
    );
  }
  // Pump mode: no cpp here at all, so its whole client CPU (launcher + agent) against distcc's whole
  // client CPU in plain mode, its cpp included.
  const distccCpu = mean(results["distcc p2"].runs.map((x) => x[1]));
  const cpuOf = (rounds) =>
    mean(rounds.flatMap((r) => r.runs.map((x) => x[1]))) +
    rounds.reduce((a, r) => a + r.agentMs, 0) / rounds.reduce((a, r) => a + r.runs.length, 0);
  for (const [variant, to] of [
    ["distcc-client pump", "distccd"],
    ["distcc-client pump→ours", "distcc-server, warm header cache"],
  ]) {
    const { rounds } = results[variant];
    const pumpCpu = cpuOf(rounds);
    // The first block is a fresh agent's; the later ones show an agent that served earlier builds.
    const split =
      rounds.length > 1
        ? ` (first ${N} jobs of a fresh agent ${cpuOf(rounds.slice(0, 1)).toFixed(2)}, later ${cpuOf(rounds.slice(1)).toFixed(2)}: ratios ${(cpuOf(rounds.slice(0, 1)) / distccCpu).toFixed(2)}, ${(cpuOf(rounds.slice(1)) / distccCpu).toFixed(2)})`
        : "";
    console.log(
      `client CPU per job, pump to ${to} (launcher + agent, no cpp) ${pumpCpu.toFixed(2)} ms vs distcc p2 with its cpp ${distccCpu.toFixed(2)} ms: ratio ${(pumpCpu / distccCpu).toFixed(2)} (goal <= 0.33)${split}`,
    );
  }
  console.log("");
}

perJobTable("small file (hello.c)", work, "hello.c", ["-O2"]);
// A source of the weak-client bench's project (four libc headers and the project's header), with
// that bench's CFLAGS: what the pump-mode client-CPU goal is about.
const project = join(work, "weak-client-project");
generateProject(project, 60);
perJobTable("weak-client project file (f000.c)", project, "src/f000.c", ["-O2", "-g", "-Wall", "-Iinclude"]);

// Bytes on the wire per job (client to server), through a counting proxy: plain vs pump, to the
// real distccd and to our distcc-server (whose header cache, warm after the first jobs, lets pump
// jobs name their headers instead of sending them).
{
  const counted = { bytes: 0 };
  let target = port;
  const proxyPort = await freePort();
  const proxy = createServer((c) => {
    const s = connect(target, "127.0.0.1");
    c.on("data", (d) => (counted.bytes += d.length));
    c.pipe(s);
    s.pipe(c);
    c.on("error", () => s.destroy());
    s.on("error", () => c.destroy());
  });
  await new Promise((r) => proxy.listen(proxyPort, "127.0.0.1", r));
  const perJob = {};
  const rows = [
    ["distcc p2", `127.0.0.1:${proxyPort}/4,lzo`, port],
    ["distcc-client p2", `127.0.0.1:${proxyPort}/4,lzo`, port],
    ["distcc-client pump", `127.0.0.1:${proxyPort}/4,lzo,cpp`, port],
    ["distcc-client pump to ours, warm header cache", `127.0.0.1:${proxyPort}/4,lzo,cpp`, oursPort],
  ];
  for (const [name, hosts, to] of rows) {
    target = to;
    // Each row its own agent state (DISTCC_DIR): what the agent learned of a host does not carry over.
    const env = { ...baseEnv(hosts), DISTCC_DIR: join(work, `bytes-${Object.keys(perJob).length}`) };
    mkdirSync(env.DISTCC_DIR, { recursive: true });
    const argv = name.startsWith("distcc-client") ? [launcher, ...compile] : ["distcc", ...compile];
    // Asynchronously: the proxy runs in this process's event loop.
    const jobs = async (n) => {
      const res = spawn("python3", [harness], { stdio: ["pipe", "ignore", "inherit"] });
      res.stdin.end(JSON.stringify({ argv, env, cwd: work, n }));
      await new Promise((r) => res.on("close", r));
    };
    await jobs(2);
    counted.bytes = 0;
    await jobs(10);
    perJob[name] = counted.bytes / 10;
  }
  proxy.close();
  ours.kill("SIGTERM");
  for (const dir of Object.keys(perJob).map((_, i) => join(work, `bytes-${i}`))) {
    spawnSync(process.execPath, [join(root, "apps/client/dist/cli.js"), "agent", "stop"], {
      env: { ...process.env, DISTCC_DIR: dir },
      stdio: "ignore",
    });
  }
  console.log(
    `bytes sent per job (small file, 10 jobs): ${Object.entries(perJob)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(", ")}`,
  );
  const warm = perJob["distcc-client pump to ours, warm header cache"];
  console.log(
    `warm header cache vs distcc p2 (plain): ${((100 * warm) / perJob["distcc p2"]).toFixed(1)} % (goal <= 10 %)`,
  );
}

// Project build.
function generate(dir) {
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "obj"), { recursive: true });
  const objs = [];
  for (let i = 0; i < FILES; i++) {
    writeFileSync(
      join(dir, "src", `u${i}.c`),
      `#include <stdio.h>\n#include <string.h>\nstatic int t${i}[8] = {${[1, 2, 3, 4, 5, 6, 7, 8].map((k) => (k * 13 + i) % 31).join(",")}};\nint u${i}(int x) { int a = 0; for (int k = 0; k < 8; k++) a += t${i}[k] * (x + k); return a; }\nconst char *n${i}(void) { static char b[32]; snprintf(b, sizeof b, "u%d", ${i}); return b; }\n`,
    );
    objs.push(`obj/u${i}.o`);
  }
  writeFileSync(
    join(dir, "Makefile"),
    `OBJS = ${objs.join(" ")}\nall: $(OBJS)\nobj/%.o: src/%.c\n\t$(CC) -O2 -c $< -o $@\n`,
  );
}
const proj = join(work, "proj");
generate(proj);
const makeTimes = { distcc: [], "distcc-client": [] };
for (let round = 0; round < 3; round++) {
  for (const [name, cc] of [
    ["distcc", "distcc gcc"],
    ["distcc-client", `${launcher} gcc`],
  ]) {
    rmSync(join(proj, "obj"), { recursive: true, force: true });
    mkdirSync(join(proj, "obj"));
    const t = performance.now();
    const r = spawnSync("make", ["-s", "-j8", `CC=${cc}`], {
      cwd: proj,
      env: baseEnv(`127.0.0.1:${port}/4,lzo`),
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(r.stderr);
    makeTimes[name].push(performance.now() - t);
  }
}
const dm = median(makeTimes.distcc);
const om = median(makeTimes["distcc-client"]);
console.log(
  `\nmake -j8 of ${FILES} files, protocol 2, host /4 (median of 3, s): distcc ${(dm / 1000).toFixed(2)}, distcc-client ${(om / 1000).toFixed(2)}, ratio ${(om / dm).toFixed(3)} (goal <= 1.05)`,
);

// Clean up: the agent and distccd we started.
for (const dir of [distccDir, ...agentDirs]) {
  try {
    const paths = agentPaths({ DISTCC_DIR: dir });
    process.kill(Number(readFileSync(join(paths.agentDir, "agent.pid"), "utf8")), "SIGTERM");
  } catch {}
}
stopDistccd();
await new Promise((r) => setTimeout(r, 300));
rmSync(work, { recursive: true, force: true });
