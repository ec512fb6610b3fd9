// Bench: the blog's "weak client + one helper" on this 2-core box, through ../shared/bench/weak-client.sh
// (client side pinned to core 0 in a cgroup v1 throttled to CLIENT_QUOTA % of a core, helper distccd on
// core 1, unthrottled or at HELPER_QUOTA %). Two runs of that script, each with its own local baseline:
//   1. Debian's distcc client (CCWRAP=distcc)
//   2. ours: the native launcher of distcc-client (CCWRAP=<launcher>), the same Debian distccd helper
//      (SERVER_CMD can replace it), default policy (earliest expected finish).
// Then one table: speed-up over local with the strong helper and with the slow one.
// Needs root + taskset + a cgroup v1 cpu controller; skipped (exit 0) otherwise.
// Run after `pnpm build`: node bench/weak-client.mjs   (ROUNDS=1 for a quick run, ~8 min;
// ONLY=ours or ONLY=distcc for one side; NFILES, CLIENT_QUOTA, HELPER_QUOTA, PORT pass through).
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, chmodSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const script = join(root, "../shared/bench/weak-client.sh");
const cli = join(root, "apps/client/dist/cli.js");
const only = process.env.ONLY ?? "";
const ROUNDS = process.env.ROUNDS ?? "1";
const PORT = process.env.PORT ?? "3752";

function canRun() {
  if (process.getuid?.() !== 0) return "needs root (cgroup writes)";
  try {
    accessSync("/sys/fs/cgroup/cpu/cgroup.procs", constants.W_OK);
  } catch {
    return "needs a writable cgroup v1 cpu controller at /sys/fs/cgroup/cpu";
  }
  if (spawnSync("taskset", ["-V"]).status !== 0) return "needs taskset";
  return undefined;
}

/** Runs weak-client.sh with extra env, streaming its output; returns the SUMMARY figures. */
function runScript(label, env) {
  return new Promise((resolve) => {
    console.log(`\n--- ${label}: ${script} (ROUNDS=${ROUNDS}) ---`);
    const child = spawn("bash", [script], { env: { ...process.env, ROUNDS, PORT, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.on("close", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("SUMMARY weak-client")) ?? "";
      const figures = Object.fromEntries([...line.matchAll(/(\S+)=(\S+)/g)].map((m) => [m[1], Number(m[2])]));
      const check = out.split("\n").find((l) => /^(PASS|FAIL) /.test(l)) ?? "no correctness line";
      resolve({ code, figures, check });
    });
  });
}

const why = canRun();
if (why) {
  console.log(`weak-client: skipped (${why})`);
  process.exit(0);
}

const results = {};
if (only !== "ours") {
  results.distcc = await runScript("Debian distcc client + distccd", { CCWRAP: "distcc" });
}
if (only !== "distcc") {
  const dir = mkdtempSync(join(tmpdir(), "bench-weak-client-"));
  chmodSync(dir, 0o755);
  const env = { DISTCC_DIR: join(dir, "distcc-dir") };
  const launcher = spawnSync(process.execPath, [cli, "launcher"], { env: { ...process.env, ...env }, encoding: "utf8" }).stdout.trim();
  try {
    results.ours = await runScript("distcc-client (native launcher + agent) + distccd", {
      ...env,
      CCWRAP: launcher,
      // The agent started by the first launcher lives in the client's cgroup (its CPU is the client's);
      // it must not outlive the run by minutes.
      DISTCC_AGENT_IDLE_TIMEOUT: "20",
    });
    const summary = spawnSync(process.execPath, [cli, "summary"], { env: { ...process.env, ...env }, encoding: "utf8" });
    console.log(`\nour agent's summary of the last build (slow helper):\n${summary.stdout}${summary.stderr}`);
  } finally {
    spawnSync(process.execPath, [cli, "agent", "stop"], { env: { ...process.env, ...env } });
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log("\n=== weak client (25 % of core 0) + one helper on core 1: speed-up over a local build of the same run");
console.log(`${"client".padEnd(12)} ${"local s".padStart(8)} ${"strong s".padStart(9)} ${"speed-up".padStart(9)} ${"slow s".padStart(8)} ${"speed-up".padStart(9)}  check`);
for (const [name, r] of Object.entries(results)) {
  const f = r.figures;
  const cell = (v, w, d = 1) => (v === undefined || Number.isNaN(v) ? "?" : v.toFixed(d)).padStart(w);
  console.log(
    `${name.padEnd(12)} ${cell(f.local_s, 8)} ${cell(f.distcc_s, 9)} ${cell(f.distcc_speedup, 8, 2)}x ${cell(f["distcc-slow-helper_s"], 8)} ${cell(f["distcc-slow-helper_speedup"], 8, 2)}x  ${r.check}`,
  );
}
console.log("goals: ours >= distcc with the strong helper; ours >= 1.2x with the slow helper (distcc: 0.65x in BASELINE.md 9)");
process.exit(Object.values(results).some((r) => r.code !== 0) ? 1 : 0);
