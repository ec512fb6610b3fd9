import { readFileSync } from "node:fs";
import { distccVersionBanner } from "@x/distcc-protocol";

/** The package version (read from package.json beside dist/ or src/). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch (err) {
    // Bundled without its package.json (an embedder's copy): the version is unknown, nothing else.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "unknown";
    throw err;
  }
}

/**
 * `--version`: distccd's two lines first (scripts read the distcc version as the second word of
 * the first line), then ours.
 */
export function versionText(): string {
  return `${distccVersionBanner("distccd", [1, 2, 3])}  distcc-server ${packageVersion()} on Node ${process.version}: a drop-in distccd\n`;
}
