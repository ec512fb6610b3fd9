import type { FarmSetup, SimClient, SimHelper } from "./farm.js";
import { generatedProjectJobs, kernelLikeJobs } from "./jobs.js";
import { mulberry32 } from "./prng.js";

// Links (one way): loopback, gigabit, 100 Mbit/s, 20 Mbit/s Wi-Fi; bytes per ms.
const LOOPBACK = { latencyMs: 0.05, bytesPerMs: 1_000_000 };
const GIGABIT = { latencyMs: 0.2, bytesPerMs: 110_000 };
const FAST_ETHERNET = { latencyMs: 0.5, bytesPerMs: 11_000 };
const WIFI = { latencyMs: 3, bytesPerMs: 2_200 };

/** bench/BASELINE-distcc.md section 9: the client at 25 % of one core; distcc there used `/4 --localslots=1`, make -j8. */
const WEAK_CLIENT: SimClient = { cpus: 1, speed: 0.25, localSlots: 1, parallelism: 8, localParallelism: 2 };
const LAPTOP: SimClient = { cpus: 2, speed: 1, localSlots: 2, parallelism: 12, localParallelism: 2 };

/**
 * The simulated farms the tests and `bench/scheduler-sim.mjs` run. Deterministic: the same seed gives
 * the same jobs.
 */
export function standardSetups(seed = 1): FarmSetup[] {
  const project = generatedProjectJobs(120, seed);
  const kernel = kernelLikeJobs(200, seed);
  const strong: SimHelper = { id: "helper", slots: 4, cpus: 1, speed: 1, ...LOOPBACK };
  const slow: SimHelper = { id: "helper", slots: 4, cpus: 1, speed: 0.15, ...LOOPBACK };
  const three: SimHelper[] = [
    // List order puts the slowest first, as a user adding an old box first would: distcc fills it first.
    { id: "old-box", slots: 2, cpus: 1, speed: 0.4, ...WIFI },
    { id: "desktop", slots: 4, cpus: 2, speed: 1, ...FAST_ETHERNET },
    { id: "server", slots: 8, cpus: 4, speed: 1.5, ...GIGABIT },
  ];
  return [
    { name: "weak client + strong helper (blog)", client: WEAK_CLIENT, helpers: [strong], jobs: project },
    { name: "weak client + slow helper (blog, 15 %)", client: WEAK_CLIENT, helpers: [slow], jobs: project },
    { name: "laptop + 3 mixed helpers", client: LAPTOP, helpers: three, jobs: project },
    { name: "weak client + 3 mixed helpers", client: WEAK_CLIENT, helpers: three, jobs: project },
    { name: "laptop + 3 mixed helpers, kernel-like", client: LAPTOP, helpers: three, jobs: kernel },
    {
      name: "laptop + one slow helper on Wi-Fi",
      client: LAPTOP,
      helpers: [{ id: "old-box", slots: 4, cpus: 1, speed: 0.5, ...WIFI }],
      jobs: kernel,
    },
    {
      name: "laptop + 2 helpers, the fast one loaded by others after 5 s",
      client: LAPTOP,
      helpers: [
        { id: "server", slots: 8, cpus: 4, speed: 1.5, slowsDown: { atMs: 5000, factor: 0.1 }, ...GIGABIT },
        { id: "desktop", slots: 4, cpus: 2, speed: 1, ...FAST_ETHERNET },
      ],
      jobs: kernel,
    },
    {
      name: "laptop + a dead host listed first",
      client: LAPTOP,
      helpers: [
        { id: "dead", slots: 4, cpus: 1, speed: 1, dead: true, ...FAST_ETHERNET },
        { id: "desktop", slots: 4, cpus: 2, speed: 1, ...FAST_ETHERNET },
      ],
      jobs: project,
    },
  ];
}

/**
 * Random farms (deterministic for a seed): 1-2 client CPUs at 0.2-1x, 1-3 helpers of 0.05-1.55x with
 * 1-6 slots, 1-3 CPUs and links from Wi-Fi to gigabit, one in ten dead; a generated project or a
 * kernel-like job mix. For checks that hold on any farm, not only on the hand-made ones.
 */
export function randomSetups(seed: number, count: number): FarmSetup[] {
  const random = mulberry32(seed);
  const links = [1_000, 2_200, 11_000, 110_000];
  const out: FarmSetup[] = [];
  for (let i = 0; i < count; i++) {
    const speed = 0.2 + random() * 0.8;
    const cpus = 1 + Math.floor(random() * 2);
    const helpers: SimHelper[] = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({
      id: `h${k}`,
      slots: 1 + Math.floor(random() * 6),
      cpus: 1 + Math.floor(random() * 3),
      speed: 0.05 + random() * 1.5,
      latencyMs: random() * 5,
      bytesPerMs: links[Math.floor(random() * links.length)]!,
      ...(random() < 0.1 ? { dead: true } : {}),
    }));
    const jobs = random() < 0.5 ? generatedProjectJobs(100, seed * 1000 + i) : kernelLikeJobs(80, seed * 1000 + i);
    const parallelism = 4 + Math.floor(random() * 10);
    out.push({
      name: `random ${seed}/${i}`,
      client: { cpus, speed, localSlots: cpus, parallelism, localParallelism: cpus },
      helpers,
      jobs,
    });
  }
  return out;
}
