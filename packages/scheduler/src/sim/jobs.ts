import { mulberry32 } from "./prng.js";

/** One compile job of a simulated build. Work is in ms of CPU on the reference core (speed 1). */
export interface SimJob {
  /** Bytes sent to a helper (preprocessed, after compression when the link compresses). */
  readonly sendBytes: number;
  /** Bytes of the object file coming back. */
  readonly resultBytes: number;
  /** The whole compile on this machine (cpp + cc1 + as). */
  readonly localWork: number;
  /** This machine's share of a remote job (cpp + the client). */
  readonly clientWork: number;
  /** The helper's share of a remote job (cc1 + as from the .i). */
  readonly helperWork: number;
  /** Size the scheduler is told (the preprocessed size). */
  readonly inputBytes: number;
}

/**
 * The generated project of the benches (bench/lib/gen-project.mjs; bench/BASELINE-distcc.md sections 2
 * and 9): 60 % small, 30 % medium, 10 % larger files, ~60 KB preprocessed each; on the reference core
 * 0.154 s of CPU per local compile, 0.032 s of client CPU per remote job, 0.144 s of helper CPU. LZO
 * shrinks a .i ~4.6x (section 6).
 */
export function generatedProjectJobs(count: number, seed: number): SimJob[] {
  const random = mulberry32(seed);
  const jobs: SimJob[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    const [lo, hi] = r < 0.6 ? [60, 120] : r < 0.9 ? [150, 260] : [350, 600];
    const localWork = lo + (hi - lo) * random();
    const inputBytes = Math.round(56_000 + localWork * 40 + 8000 * random());
    jobs.push({
      inputBytes,
      sendBytes: Math.round(inputBytes / 4.6),
      resultBytes: Math.round(2000 + localWork * 30),
      localWork,
      clientWork: 20 + 0.08 * localWork,
      helperWork: 0.94 * localWork,
    });
  }
  return jobs;
}

/**
 * Kernel-like jobs (bench/BASELINE-distcc.md sections 3 and 6): 0.5-3.5 MB preprocessed, 0.2-0.9 s of CPU, of which
 * the client's cpp is a large share (~40 %).
 */
export function kernelLikeJobs(count: number, seed: number): SimJob[] {
  const random = mulberry32(seed);
  const jobs: SimJob[] = [];
  for (let i = 0; i < count; i++) {
    const inputBytes = Math.round(500_000 + 3_000_000 * random() ** 2);
    const localWork = 150 + inputBytes / 5000 + 150 * random();
    jobs.push({
      inputBytes,
      sendBytes: Math.round(inputBytes / 4.7),
      resultBytes: Math.round(5000 + localWork * 40),
      localWork,
      clientWork: 0.4 * localWork,
      helperWork: 0.65 * localWork,
    });
  }
  return jobs;
}
