import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The read-only `shared/` folder (spec, vectors, bench) beside the repository. */
export function sharedDir(): string {
  const fromEnv = process.env.DISTCC_SHARED_DIR;
  if (fromEnv) return fromEnv;
  // repo/packages/testkit/src -> repo/../shared
  return resolve(here, "../../../../shared");
}

export function vectorPath(...parts: string[]): string {
  return join(sharedDir(), "vectors", ...parts);
}

/** True when an executable of that name is on PATH. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}
