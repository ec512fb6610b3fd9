import { distccVersionBanner } from "@x/distcc-protocol";

export const VERSION = "0.1.0";

/**
 * `--version`: distcc's two lines first (scripts read the distcc version as the second word of the
 * first line), then ours. The client speaks protocols 1, 2 and 3 (pump mode, docs/pump.md), as distcc.
 */
export function versionText(): string {
  return `${distccVersionBanner("distcc", [1, 2, 3])}  distcc-client ${VERSION} on Node ${process.version}: a drop-in distcc\n`;
}
