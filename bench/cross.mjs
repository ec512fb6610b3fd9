// Mixed architectures (issue 6): runs /work/shared/bench/cross-mismatch.sh (the blog's cases:
// Gentoo's armv6j-hardfloat-linux-gnueabi-gcc against a helper with only arm-linux-gnueabihf-gcc,
// and the kernel's plain `gcc` being the ARM compiler) once with real distcc 3.4 (client and
// distccd) and once with ours (distcc-client and distcc-server), and prints both PASS/FAIL lists.
// Ours must pass every check; real distcc is expected to fail the mismatch ones.
// Needs `pnpm build` first. Usage: node bench/cross.mjs
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const shared = process.env.SHARED_DIR ?? resolve(root, "../shared");
const script = join(shared, "bench", "cross-mismatch.sh");
const client = join(root, "apps/client/dist/cli.js");
const server = join(root, "apps/server/dist/cli.js");
for (const f of [script, client, server]) {
  if (!existsSync(f)) {
    console.error(`missing ${f} (run pnpm build; SHARED_DIR points at shared/)`);
    process.exit(2);
  }
}

const port = Number(process.env.PORT ?? 3760);
const runs = [
  { name: "real distcc 3.4 (distcc + distccd)", env: { PORT: String(port) } },
  {
    name: "ours (distcc-client + distcc-server)",
    env: {
      PORT: String(port + 10),
      CCWRAP: `${process.execPath} ${client}`,
      SERVER_CMD: `${process.execPath} ${server} --no-detach --allow 127.0.0.1 --listen 127.0.0.1 --port %PORT% --jobs %JOBS% --log-file %LOG%`,
    },
  },
];

const summary = [];
for (const r of runs) {
  const started = Date.now();
  const res = spawnSync("bash", [script], {
    env: { ...process.env, BENCH_TMP: `/tmp/distcc-bench-cross-${r.env.PORT}`, ...r.env },
    encoding: "utf8",
    timeout: 600_000,
  });
  const lines = `${res.stdout ?? ""}`.split("\n").filter((l) => /^(PASS|FAIL) /.test(l));
  const fails = lines.filter((l) => l.startsWith("FAIL")).length;
  console.log(`\n--- ${r.name}: ${lines.length - fails} PASS, ${fails} FAIL (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  for (const l of lines) console.log(`  ${l}`);
  summary.push({ name: r.name, fails, total: lines.length });
}
const ours = summary[1];
console.log(`\nours: ${ours.total - ours.fails}/${ours.total} PASS; real distcc: ${summary[0].total - summary[0].fails}/${summary[0].total} PASS`);
process.exit(ours.fails === 0 && ours.total > 0 ? 0 : 1);
