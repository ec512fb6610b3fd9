import { distccVersionBanner } from "@x/distcc-protocol";

export const VERSION = "0.1.0";

/**
 * `--version`: distcc's two lines first (scripts read the distcc version as the second word of the
 * first line), then ours. The client speaks protocols 1 and 2 (3 needs an include server).
 */
export function versionText(): string {
  return `${distccVersionBanner("distcc", [1, 2])}  distcc-client ${VERSION} on Node ${process.version}: a drop-in distcc\n`;
}
