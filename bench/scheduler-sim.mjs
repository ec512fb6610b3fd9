// Simulated makespans and speed-ups of each scheduling policy on the standard farms of
// @x/distcc-scheduler (pure, deterministic discrete-event simulation: processor-sharing CPUs and links,
// job costs from bench/BASELINE-distcc.md). Not a measurement of real machines: it shows what each
// policy's choices cost, the same way every run. Usage: node bench/scheduler-sim.mjs [SEEDS=1,2,3]
import { SpeedModel, distccPolicy, earliestFinishPolicy, randomizedPolicy } from "../packages/scheduler/dist/index.js";
import { mulberry32, randomSetups, simulateFarm, standardSetups } from "../packages/scheduler/dist/sim.js";

const seeds = (process.env.SEEDS ?? "1,2,3").split(",").map(Number);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Our policy twice: a first build with a fresh model (cold), a second with what it learned (warm). */
function coldAndWarm(setup, flow, duplicates) {
  const model = new SpeedModel();
  const strategy = { kind: "scheduler", policy: earliestFinishPolicy(), flow, duplicates, model };
  const cold = simulateFarm(setup, strategy);
  const warm = simulateFarm(setup, { ...strategy, model: SpeedModel.fromJSON(model.toJSON()) });
  return [cold, warm];
}

const columns = [
  ["local only", (s) => simulateFarm(s, { kind: "local-only" })],
  ["distcc order", (s) => simulateFarm(s, { kind: "scheduler", policy: distccPolicy() })],
  ["--randomize", (s) => simulateFarm(s, { kind: "scheduler", policy: randomizedPolicy(mulberry32(7)) })],
  ["ours cold", (s) => coldAndWarm(s, "choose-first", true)[0]],
  ["ours warm", (s) => coldAndWarm(s, "choose-first", true)[1]],
  ["ours cold, cpp first", (s) => coldAndWarm(s, "preprocess-first", true)[0]],
  ["ours warm, cpp first", (s) => coldAndWarm(s, "preprocess-first", true)[1]],
];

console.log(`scheduler simulation, seeds ${seeds.join(",")}: median makespan (s) and speed-up vs local only`);
console.log(
  `"ours" = earliestFinishPolicy + straggler copies; cold = fresh model, warm = model from the previous build;`,
);
console.log(`"cpp first" = every job preprocesses before it asks for a place (our agent's flow).\n`);
const names = standardSetups(seeds[0]).map((s) => s.name);
const width = Math.max(...names.map((n) => n.length));
console.log("setup".padEnd(width), ...columns.map(([name]) => name.padStart(22)));
for (let i = 0; i < names.length; i++) {
  const cells = columns.map(([, run]) => {
    const makespans = [];
    const speedUps = [];
    for (const seed of seeds) {
      const setup = standardSetups(seed)[i];
      const local = simulateFarm(setup, { kind: "local-only" }).makespanMs;
      const ms = run(setup).makespanMs;
      makespans.push(ms);
      speedUps.push(local / ms);
    }
    return `${(median(makespans) / 1000).toFixed(1)} s ${median(speedUps).toFixed(2)}x`.padStart(22);
  });
  console.log(names[i].padEnd(width), ...cells);
}

// Every run on the standard farms (issue 7: never worse than distcc's order nor a local build):
// seeds x flows x with/without straggler copies x cold/warm.
const standard = {
  runs: 0,
  slowerThanLocal: 0,
  slowerThanDistcc: 0,
  worstLocal: Infinity,
  worstCold: Infinity,
  worstWarm: Infinity,
};
for (const seed of seeds) {
  for (const setup of standardSetups(seed)) {
    const local = simulateFarm(setup, { kind: "local-only" }).makespanMs;
    const theirs = simulateFarm(setup, { kind: "scheduler", policy: distccPolicy() }).makespanMs;
    for (const flow of ["choose-first", "preprocess-first"]) {
      for (const duplicates of [false, true]) {
        const [cold, warm] = coldAndWarm(setup, flow, duplicates).map((r) => r.makespanMs);
        for (const ms of [cold, warm]) {
          standard.runs++;
          if (ms > local) standard.slowerThanLocal++;
          if (ms > theirs) standard.slowerThanDistcc++;
          standard.worstLocal = Math.min(standard.worstLocal, local / ms);
        }
        standard.worstCold = Math.min(standard.worstCold, theirs / cold);
        standard.worstWarm = Math.min(standard.worstWarm, theirs / warm);
      }
    }
  }
}
console.log(`\nstandard farms, every run (${standard.runs}: seeds x 2 flows x copies or not x cold/warm), ours:`);
console.log(
  `slower than local only: ${standard.slowerThanLocal}/${standard.runs} (worst speed-up ${standard.worstLocal.toFixed(3)}x)`,
);
console.log(
  `slower than distcc order: ${standard.slowerThanDistcc}/${standard.runs} (worst speed-up cold ${standard.worstCold.toFixed(3)}x, warm ${standard.worstWarm.toFixed(3)}x)`,
);

// Random farms: the spread, not only the hand-made cases.
const vsLocal = [];
const vsDistcc = [];
for (const seed of seeds) {
  for (const setup of randomSetups(seed, 30)) {
    const local = simulateFarm(setup, { kind: "local-only" }).makespanMs;
    const theirs = simulateFarm(setup, { kind: "scheduler", policy: distccPolicy() }).makespanMs;
    for (const flow of ["choose-first", "preprocess-first"]) {
      for (const run of coldAndWarm(setup, flow, true)) {
        vsLocal.push(local / run.makespanMs);
        vsDistcc.push(theirs / run.makespanMs);
      }
    }
  }
}
const pct = (values, p) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(p * values.length))];
const row = (name, values) =>
  `${name.padEnd(28)} min ${pct(values, 0).toFixed(2)}x  p10 ${pct(values, 0.1).toFixed(2)}x  median ${median(values).toFixed(2)}x  ` +
  `p90 ${pct(values, 0.9).toFixed(2)}x  below 1: ${values.filter((v) => v < 1).length}/${values.length}`;
console.log(`\nrandom farms (${seeds.length * 30} farms x 2 flows x cold/warm), ours:`);
console.log(row("speed-up vs local only", vsLocal));
console.log(row("speed-up vs distcc order", vsDistcc));
