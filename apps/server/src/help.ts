import { OPTION_SPECS } from "./settings.js";

/** --help text, generated from the option table. */
export function helpText(version: string): string {
  const rows = OPTION_SPECS.map((s) => {
    const names = [s.short, s.flag].filter(Boolean).join(", ");
    return [`${names}${s.arg ? ` ${s.arg}` : ""}`, s.help] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `distcc-server ${version}: a drop-in, safer distccd (distcc protocols 1, 2 and 3)`,
    "",
    "Usage: distcc-server [OPTIONS]",
    "       distcc-server service install [OPTIONS]   (systemd unit + /etc/distcc-server.json; see service --help)",
    "",
    ...rows.map(([left, help]) => `  ${left.padEnd(width)}${help}`),
    "",
    "distccd's --verbose (= --log-level debug), -W/--wizard, --no-fork, --no-fifo and --enable-tcp-insecure",
    "(ssh mode; the whitelist stays on) are accepted too. GSS-API's --auth, --whitelist, --blacklist and",
    "--show-principal are refused with why.",
    "Environment: DISTCCD_PATH (where compilers are looked for instead of PATH), DISTCC_CMDLIST",
    "(a file listing the only compilers allowed), TMPDIR.",
    "Only compilers found at start-up run; see docs/server.md for the whitelist and refusals.",
    "",
  ].join("\n");
}
