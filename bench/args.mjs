// `pnpm bench args`: analyse 100,000 compiler command lines with @x/distcc-toolchain and report µs
// per line for the scan and for each command derived from it. For scale, beside it: what one real
// `distcc` call costs for a command it keeps local (process start, its scan, exec of `true`).
// Needs `pnpm --filter @x/distcc-toolchain build` first (`pnpm bench` builds everything).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  findForbiddenServerOption,
  preprocessorArgv,
  rewriteServerCommand,
  scanArgs,
  scanExpandedArgs,
  serverArgv,
} from "../packages/toolchain/dist/index.js";

const LINES = 100_000;
const ROUNDS = 5;

// A deterministic mix shaped like real builds: a kernel-style line (many -D/-I/-W/-f), an
// autotools line, a C++ line, plus some local ones (links, -E, -M, conftest, -march=native).
let seed = 4242;
function next(n) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}
const file = () => ["init/main", "kernel/fork", "mm/slab", "fs/ext4/inode", "net/ipv4/tcp"][next(5)] + next(100);
const shapes = [
  () => {
    const f = file();
    return [
      "gcc",
      `-Wp,-MMD,./${f}.o.d`,
      "-nostdinc",
      "-I./arch/x86/include",
      "-I./include",
      "-include",
      "./include/linux/kconfig.h",
      "-D__KERNEL__",
      "-Wall",
      "-Wundef",
      "-Werror=strict-prototypes",
      "-fno-strict-aliasing",
      "-fno-common",
      "-fshort-wchar",
      "-std=gnu11",
      "-mno-sse",
      "-mno-mmx",
      "-m64",
      "-falign-jumps=1",
      "-mno-red-zone",
      "-mcmodel=kernel",
      "-O2",
      "-fno-stack-protector",
      "-pg",
      "-mrecord-mcount",
      "-fno-strict-overflow",
      `-DKBUILD_MODFILE="${f}"`,
      '-DKBUILD_BASENAME="x"',
      "-c",
      "-o",
      `${f}.o`,
      `${f}.c`,
    ];
  },
  () => [
    "gcc",
    "-DHAVE_CONFIG_H",
    "-I.",
    "-I..",
    "-g",
    "-O2",
    "-MT",
    "lib.o",
    "-MD",
    "-MP",
    "-MF",
    ".deps/lib.Tpo",
    "-c",
    "-o",
    "lib.o",
    "lib.c",
  ],
  () => [
    "g++",
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-Isrc",
    "-isystem",
    "/usr/include/boost",
    "-DNDEBUG",
    "-c",
    `src/${file()}.cpp`,
    "-o",
    "build/x.o",
  ],
  () => ["cc", "-O2", "-c", `${file()}.c`],
  () => ["gcc", "main.o", "util.o", "-o", "app", "-lm"],
  () => ["gcc", "-E", "-P", "x.c"],
  () => ["gcc", "-MM", "x.c"],
  () => ["gcc", "-c", "conftest.c"],
  () => ["gcc", "-march=native", "-O3", "-c", "hot.c"],
];
const lines = Array.from({ length: LINES }, () => shapes[next(shapes.length)]());
const noFiles = {
  readFile: () => {
    throw new Error("no @file");
  },
  env: {},
};
const scans = lines.map((l) => scanArgs(l, noFiles));
const distributable = scans.filter((s) => s.distributable);
const words = lines.reduce((n, l) => n + l.length, 0) / LINES;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, items, fn) {
  const wall = [];
  const cpu = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const startCpu = process.cpuUsage();
    const start = performance.now();
    for (const item of items) sink += fn(item);
    wall.push(performance.now() - start);
    const used = process.cpuUsage(startCpu);
    cpu.push((used.user + used.system) / 1000);
  }
  const per = (ms) => ((ms * 1000) / items.length).toFixed(2);
  return { label: `${label} (${items.length} items)`, wall: per(median(wall)), cpu: per(median(cpu)), sink };
}

const rows = [
  measure("scanArgs (@file, -Wp, expansion + scan + dependency plan)", lines, (l) =>
    scanArgs(l, noFiles).distributable ? 1 : 0,
  ),
  measure("scanExpandedArgs (server's rescan)", lines, (l) => (scanExpandedArgs(l).distributable ? 1 : 0)),
  measure("preprocessorArgv", distributable, (s) => preprocessorArgv(s).length),
  measure("serverArgv protocol 2", distributable, (s) => serverArgv(s, 2).length),
  measure("serverArgv protocol 3", distributable, (s) => serverArgv(s, 3).length),
  measure("findForbiddenServerOption (protocol 3)", distributable, (s) =>
    findForbiddenServerOption(s.argv, { protocol: 3, cwd: "/home/u/src" }) ? 1 : 0,
  ),
  measure(
    "rewriteServerCommand protocol 3",
    distributable,
    (s) => rewriteServerCommand(s.argv, { input: "", output: "/tmp/j/o.o", root: "/tmp/j" }).length,
  ),
  measure("client total: scan + cpp argv + wire argv", lines, (l) => {
    const s = scanArgs(l, noFiles);
    return s.distributable ? preprocessorArgv(s).length + serverArgv(s, 2).length : 0;
  }),
];

// Real distcc, for scale: one process per command it keeps local (so it only scans and execs `true`).
const SAMPLE = 200;
let realMs = 0;
if (spawnSync("distcc", ["--version"]).status === 0) {
  const dir = mkdtempSync(join(tmpdir(), "bench-args-"));
  const start = performance.now();
  for (let i = 0; i < SAMPLE; i++) {
    spawnSync("distcc", ["true", "-E", "x.c", ...lines[i].slice(1, -1)], {
      env: { PATH: process.env.PATH, DISTCC_HOSTS: "", DISTCC_DIR: dir },
    });
  }
  realMs = performance.now() - start;
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `${LINES} command lines, ${words.toFixed(1)} words on average, ${distributable.length} distributable; median of ${ROUNDS} rounds`,
);
console.log("| what | µs per item (wall) | µs per item (CPU) |");
console.log("|---|---|---|");
for (const row of rows) console.log(`| ${row.label} | ${row.wall} | ${row.cpu} |`);
if (realMs > 0)
  console.log(
    `| real \`distcc true -E …\` (process start + scan + exec, ${SAMPLE} lines) | ${((realMs * 1000) / SAMPLE).toFixed(0)} | |`,
  );
