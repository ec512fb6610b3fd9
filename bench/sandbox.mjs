// bench/sandbox.mjs: what the bubblewrap sandbox costs the server, per job.
// Two CLI servers, --sandbox bwrap and --sandbox none, each fed the same captured trivial request
// (p1-hello-c) by CLIENTS connections in a loop, in interleaved rounds. Per job it reports:
//   - server CPU: utime+stime of the node process and its native spawn helper (/proc), the
//     compilers and bwrap excluded, as bench/server.mjs counts it;
//   (bwrap's own CPU and the kernel's namespace work are not in it: bench/server.mjs's "machine
//   CPU per job" row, with ALT_ARGS="--sandbox none", is where they show, noisily);
//   - wall time per job.
// Run after `pnpm build`: `node bench/sandbox.mjs`. Environment: ROUNDS (default 6), JOBS_PER_RUN
// (default 300), CLIENTS (default 2).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "node:net";
import { freePort, waitPort } from "./lib/system.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(repo, "apps/server/dist/cli.js");
const REQUEST = readFileSync(join(repo, "packages/testkit/vectors/captures/p1-hello-c.c2s.bin"));
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const JOBS_PER_RUN = Number(process.env.JOBS_PER_RUN ?? 300);
const CLIENTS = Number(process.env.CLIENTS ?? 2);
const TICK_MS = 10;

const work = mkdtempSync(join(tmpdir(), "distcc-sandbox-bench-"));

/** utime + stime of a process, in ticks. */
function times(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

function helperOf(pid) {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid && comm === "spawn") return Number(e);
    } catch {
      // gone
    }
  }
  return undefined;
}

async function start(mode) {
  const port = await freePort();
  const temp = mkdtempSync(join(work, `${mode}-`));
  const child = spawn(
    process.execPath,
    [
      CLI,
      "--user",
      "root",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--jobs",
      "2",
      "--nice",
      "0",
      "--temp-dir",
      temp,
      "--sandbox",
      mode,
      "--cache-file",
      join(work, "cache.json"),
      "--log-level",
      "warning",
    ],
    {
      stdio: "ignore",
    },
  );
  if (!(await waitPort(port, 30_000))) throw new Error(`nothing listens on ${port}`);
  return { mode, port, child };
}

function job(port) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write(REQUEST));
    let bytes = 0;
    socket.on("data", (d) => (bytes += d.length));
    socket.on("error", reject);
    socket.on("close", () => (bytes > 0 ? resolve() : reject(new Error("no answer"))));
  });
}

async function run(server) {
  const helper = helperOf(server.child.pid);
  const before = { server: times(server.child.pid), helper: times(helper) };
  const t0 = performance.now();
  let left = JOBS_PER_RUN;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (left-- > 0) await job(server.port);
    }),
  );
  const wall = performance.now() - t0;
  const after = { server: times(server.child.pid), helper: times(helper) };
  const serverTicks = after.server - before.server + (after.helper - before.helper);
  return { serverMs: (serverTicks * TICK_MS) / JOBS_PER_RUN, wallMs: wall / JOBS_PER_RUN };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const servers = [await start("bwrap"), await start("none")];
const results = { bwrap: [], none: [] };
try {
  // Warm-up: the spawn helper is built at the first job, the page cache filled.
  for (const s of servers) for (let i = 0; i < 10; i++) await job(s.port);
  console.log(`sandbox cost: ${ROUNDS} interleaved rounds of ${JOBS_PER_RUN} jobs, ${CLIENTS} clients, --jobs 2`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of round % 2 ? [...servers].reverse() : servers) {
      const r = await run(s);
      results[s.mode].push(r);
      console.log(
        `  round ${round + 1}, ${s.mode.padEnd(5)}: server ${r.serverMs.toFixed(2)} ms/job, wall ${r.wallMs.toFixed(1)} ms/job`,
      );
    }
  }
} finally {
  for (const s of servers) s.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
const m = (mode, key) => median(results[mode].map((r) => r[key]));
console.log("");
console.log(`${"median per job".padEnd(28)} ${"bwrap".padStart(8)} ${"none".padStart(8)}  added`);
for (const [label, key] of [
  ["server CPU (node + helper)", "serverMs"],
  ["wall", "wallMs"],
]) {
  const [b, n] = [m("bwrap", key), m("none", key)];
  console.log(
    `${label.padEnd(28)} ${b.toFixed(2).padStart(8)} ${n.toFixed(2).padStart(8)}  ${(((b - n) / n) * 100).toFixed(1).padStart(5)} %`,
  );
}
// Paired: each round's bwrap run against the none run next to it.
const paired = results.bwrap.map((r, i) => (r.serverMs - results.none[i].serverMs) / results.none[i].serverMs);
console.log(`server CPU added, paired by round: median ${(median(paired) * 100).toFixed(1)} % (goal: at most 5 %)`);
