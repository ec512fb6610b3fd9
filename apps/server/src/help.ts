import { SERVER_DEFAULTS } from "./defaults.js";
import { OPTION_SPECS, type OptionSpec } from "./settings.js";

/**
 * A value option's help with its default from SERVER_DEFAULTS: "(0 = no limit)" becomes
 * "(0 = no limit; default 900)", anything else gets " (default 900)". Switches (off unless given)
 * and options without a built-in value say what happens without them in their own words.
 */
export function optionHelp(spec: OptionSpec): string {
  if (spec.kind.type === "bool" || !(spec.key in SERVER_DEFAULTS)) return spec.help;
  const value = String(SERVER_DEFAULTS[spec.key as keyof typeof SERVER_DEFAULTS]);
  return spec.help.endsWith(")") ? `${spec.help.slice(0, -1)}; default ${value})` : `${spec.help} (default ${value})`;
}

/** --help text, generated from the option table. */
export function helpText(version: string): string {
  const rows = OPTION_SPECS.map((s) => {
    const names = [s.short, s.flag].filter(Boolean).join(", ");
    return [`${names}${s.arg ? ` ${s.arg}` : ""}`, optionHelp(s)] as const;
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
