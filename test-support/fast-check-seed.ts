// Property tests run from a fixed seed, so that a case that fails on CI fails the same way on any
// machine. FC_SEED=N runs them from another seed, FC_SEED=random from a new one each run (to look
// for new cases). fast-check names the seed (and the path to the failing case) in its failure report.
// Loaded by the vitest projects that use fast-check (setupFiles), once per test file.
import fc from "fast-check";

const DEFAULT_SEED = 20_261_208;

function seedFromEnv(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_SEED;
  if (raw === "random") return Date.now() ^ (Math.random() * 0x1_0000_0000);
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed))
    throw new Error(`FC_SEED: expected an integer or "random", got ${JSON.stringify(raw)}`);
  return seed;
}

fc.configureGlobal({ ...fc.readConfigureGlobal(), seed: seedFromEnv(process.env.FC_SEED) });
