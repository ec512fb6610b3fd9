// `pnpm bench hosts`: parse 10,000 hosts lines with @x/distcc-hosts and report µs per line,
// beside what one real `distcc -j` call costs (a process start plus distcc's own parse).
// Needs `pnpm --filter @x/distcc-hosts build` first (`pnpm bench` builds everything).
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { formatHostList, hostListSchema, parseHostList, totalJobs } from "../packages/hosts/dist/index.js";

const LINES = 10_000;
const ROUNDS = 7;

// A deterministic mix of realistic lines: 1-12 entries of every kind, some comments.
let seed = 12345;
function next(n) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}
const pieces = [
  () => `helper${next(50)}/${1 + next(16)},lzo`,
  () => `10.0.${next(256)}.${next(256)}:${3600 + next(100)}/${1 + next(8)}`,
  () => `build${next(9)}.example.com/8,lzo,cpp`,
  () => `[fd00::${next(999)}]:3632/4,lzo`,
  () => `user@box${next(20)}/6:/opt/bin/distccd,lzo`,
  () => `localhost/${1 + next(4)}`,
  () => "--localslots=1",
  () => "--localslots_cpp=16",
  () => "--randomize",
  () => "# a comment\n",
  () => "127.0.0.1",
];
const lines = Array.from({ length: LINES }, () => {
  const count = 1 + next(12);
  return Array.from({ length: count }, () => pieces[next(pieces.length)]()).join(" ");
});
const totalChars = lines.reduce((n, l) => n + l.length, 0);

// The machine is shared and noisy: report the median wall time and the median CPU time (user +
// system of this process), which other processes disturb less.
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, fn) {
  const wall = [];
  const cpu = [];
  let sink = 0;
  for (const line of lines) sink += fn(line); // warm-up round, not timed (JIT)
  for (let r = 0; r < ROUNDS; r++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    for (const line of lines) sink += fn(line);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  const perLine = (ms) => ((ms * 1000) / LINES).toFixed(2);
  return { label, wall: perLine(median(wall)), cpu: perLine(median(cpu)), sink };
}

const keep = { random: () => 0 };
const parsed = lines.map((l) => parseHostList(l, keep));
const rows = [
  measure("parseHostList", (l) => parseHostList(l, keep).hosts.length),
  measure("parseHostList + totalJobs", (l) => totalJobs(parseHostList(l, keep))),
  measure(
    "formatHostList (of a parsed list)",
    (() => {
      let i = 0;
      return () => formatHostList(parsed[i++ % LINES]).length;
    })(),
  ),
  measure(
    "hostListSchema.parse (zod, opt-in)",
    (() => {
      let i = 0;
      return () => hostListSchema.parse(parsed[i++ % LINES]).hosts.length;
    })(),
  ),
];

// Real distcc: one process per line, so only a sample of lines.
const SAMPLE = 200;
let realMs = 0;
if (spawnSync("distcc", ["--version"]).status === 0) {
  const start = performance.now();
  for (let i = 0; i < SAMPLE; i++) {
    spawnSync("distcc", ["-j"], { env: { PATH: process.env.PATH, DISTCC_HOSTS: lines[i] } });
  }
  realMs = performance.now() - start;
}

console.log(
  `${LINES} lines, ${(totalChars / LINES).toFixed(0)} characters and ${(parsed.reduce((n, l) => n + l.hosts.length, 0) / LINES).toFixed(1)} hosts per line on average; median of ${ROUNDS} rounds`,
);
console.log("| what | µs per line (wall) | µs per line (CPU) |");
console.log("|---|---|---|");
for (const row of rows) console.log(`| ${row.label} | ${row.wall} | ${row.cpu} |`);
if (realMs > 0)
  console.log(
    `| real \`distcc -j\` (process start + parse, ${SAMPLE} lines) | ${((realMs * 1000) / SAMPLE).toFixed(0)} | |`,
  );
