import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** The repository's root (this file is repo/packages/testkit/src/paths.ts). */
export const repoRoot: string = resolve(here, "../../..");

/**
 * The vectors captured from real distcc 3.4, kept in the repository (`packages/testkit/vectors`,
 * provenance in its MANIFEST.md), so a bare clone runs every test.
 */
export function vectorPath(...parts: string[]): string {
  return join(repoRoot, "packages", "testkit", "vectors", ...parts);
}

/** True when an executable of that name is on PATH. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}
