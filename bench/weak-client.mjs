// Bench: the blog's "weak client + one helper" on this 2-core box (bench/lib/weak-client-run.mjs: the
// client side pinned to core 0 in a cgroup v1 throttled to CLIENT_QUOTA % of a core, the helper on
// core 1, unthrottled or at HELPER_QUOTA %). Each round is two runs of that setting (each with its own
// local baseline), in alternating order:
//   - Debian's distcc client (CCWRAP=distcc) with Debian's distccd as the helper
//   - ours: the native launcher of distcc-client, the same distccd helper (SERVER_CMD, with %PORT%
//     %JOBS% %LOG%, can replace it), default policy (earliest expected finish); one DISTCC_DIR for
//     all rounds.
// Then one table: median speed-up over local with the strong helper and with the slow one, and each run's.
// Needs root + taskset + a cgroup v1 cpu controller; skipped (exit 0) otherwise.
// Run after `pnpm build`: node bench/weak-client.mjs   (ROUNDS=1, the default: ~8 min; each round ~8 min;
// ONLY=ours or ONLY=distcc for one side; NFILES (120), SEED, WARMUP, J, DJ, CLIENT_QUOTA, HELPER_QUOTA,
// STRONG_QUOTA, CLIENT_CPU, HELPER_CPU, HOSTS, VARIANTS, CC, CFLAGS, SERVER_JOBS, PORT (3752), BENCH_TMP).
// real distcc's figures in this setting, measured on this machine: bench/BASELINE-distcc.md, section 9.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cgroupSkipReason } from "./lib/cgroups.mjs";
import { clientCli } from "./lib/servers.mjs";
import { has, median } from "./lib/system.mjs";
import { weakClientConfig, weakClientRun } from "./lib/weak-client-run.mjs";

const only = process.env.ONLY ?? "";
const cfg = weakClientConfig();

function skipReason() {
  const why = cgroupSkipReason();
  if (why) return why;
  for (const cmd of ["make", "gcc", "objdump", "ps", ...(cfg.serverCmd ? [] : ["distccd"])])
    if (!has(cmd)) return `needs ${cmd}`;
  if (only !== "ours" && !has("distcc")) return "needs Debian's distcc";
  if (only !== "distcc" && !existsSync(clientCli)) return `needs ${clientCli} (run pnpm build first)`;
  return undefined;
}

const why = skipReason();
if (why) {
  console.log(`weak-client: skipped (${why})`);
  process.exit(0);
}

// Rounds alternate the two clients (distcc, ours, then ours, distcc, ...), each a whole run with its
// own local baseline, so a load change on this shared machine hits both alike.
const rounds = Math.max(1, Number(process.env.ROUNDS ?? 1) || 1);
const runs = { distcc: [], ours: [] };
const dir = mkdtempSync(join(tmpdir(), "bench-weak-client-"));
chmodSync(dir, 0o755);
// One DISTCC_DIR for all of our rounds: from the second round on, the agent starts with what it learned.
const oursEnv = { DISTCC_DIR: join(dir, "distcc-dir") };
const cliEnv = () => ({ ...process.env, ...oursEnv });
const stopAgent = () => spawnSync(process.execPath, [clientCli, "agent", "stop"], { env: cliEnv(), stdio: "ignore" });

async function runOurs() {
  const launcher = spawnSync(process.execPath, [clientCli, "launcher"], {
    env: cliEnv(),
    encoding: "utf8",
  }).stdout.trim();
  console.log("\n--- distcc-client (native launcher + agent) + distccd ---");
  return weakClientRun({
    cfg,
    ccwrap: launcher,
    // The agent started by the first launcher (the check build's) lives in the client's cgroup: its
    // CPU is the client's. It stays up across the run's builds as it would across a user's builds
    // (the local baseline takes ~60 s; the default idle timeout is 300 s).
    clientEnv: { ...oursEnv, DISTCC_AGENT_IDLE_TIMEOUT: "150" },
    beforeCleanup: async () => {
      const summary = spawnSync(process.execPath, [clientCli, "summary"], { env: cliEnv(), encoding: "utf8" });
      console.log(`\nour agent's summary of the last build (slow helper):\n${summary.stdout}${summary.stderr}`);
      stopAgent();
    },
  });
}
async function runDistcc() {
  console.log("\n--- Debian distcc client + distccd ---");
  // distcc does not create its DISTCC_DIR (it only makes the subdirectories); ~/.distcc stays untouched
  const distccDir = join(dir, "distcc-dir-debian");
  mkdirSync(distccDir, { recursive: true });
  return weakClientRun({ cfg, ccwrap: "distcc", clientEnv: { DISTCC_DIR: distccDir } });
}

try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["distcc", "ours"] : ["ours", "distcc"];
    for (const name of order) {
      if (only && only !== name) continue;
      runs[name].push(await (name === "ours" ? runOurs() : runDistcc()));
    }
  }
} finally {
  if (only !== "distcc") stopAgent();
  rmSync(dir, { recursive: true, force: true });
}

const pick = (list, key) => list.map((r) => r.figures[key]);
console.log(
  `\n=== weak client (${cfg.clientQuota} % of core ${cfg.clientCpu}) + one helper on core ${cfg.helperCpu}: speed-up over a local build of the same run (${rounds} round(s), medians; per run in brackets)`,
);
console.log(
  `${"client".padEnd(8)} ${"local s".padStart(8)} ${"strong s".padStart(9)} ${"speed-up".padStart(9)} ${"slow s".padStart(8)} ${"speed-up".padStart(9)}  check`,
);
for (const [name, list] of Object.entries(runs)) {
  if (list.length === 0) continue;
  const cell = (v, w, d = 1) => (Number.isNaN(v) ? "?" : v.toFixed(d)).padStart(w);
  const each = (key) =>
    pick(list, key)
      .map((v) => (Number.isFinite(v) ? v.toFixed(2) : "?"))
      .join(" ");
  console.log(
    `${name.padEnd(8)} ${cell(median(pick(list, "local_s")), 8)} ${cell(median(pick(list, "distcc_s")), 9)} ${cell(median(pick(list, "distcc_speedup")), 8, 2)}x ${cell(median(pick(list, "distcc-slow-helper_s")), 8)} ${cell(median(pick(list, "distcc-slow-helper_speedup")), 8, 2)}x  ${list.map((r) => r.check.split(" ")[0]).join(",")}`,
  );
  console.log(
    `${"".padEnd(8)} per run: strong [${each("distcc_speedup")}], slow [${each("distcc-slow-helper_speedup")}]`,
  );
}
console.log(
  "goals: ours >= distcc with the strong helper; ours >= 1.2x with the slow helper (distcc: 0.65x in bench/BASELINE-distcc.md, section 9)",
);
process.exit(
  Object.values(runs)
    .flat()
    .some((r) => r.code !== 0)
    ? 1
    : 0,
);
