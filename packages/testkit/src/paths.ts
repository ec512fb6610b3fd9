import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The read-only `shared/` folder (spec, vectors, bench) beside the repository. */
export function sharedDir(): string {
  const fromEnv = process.env.DISTCC_SHARED_DIR;
  if (fromEnv) return fromEnv;
  // repo/packages/testkit/src -> repo/../shared (CI lays a copy of shared/ beside the clone);
  // a clone made elsewhere for a local check falls back to the workplace's copy.
  const beside = resolve(here, "../../../../shared");
  if (existsSync(beside) || !existsSync("/work/shared")) return beside;
  return "/work/shared";
}

export function vectorPath(...parts: string[]): string {
  return join(sharedDir(), "vectors", ...parts);
}

/** True when an executable of that name is on PATH. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}
