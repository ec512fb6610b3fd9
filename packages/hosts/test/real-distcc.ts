// Runs Debian's real distcc 3.4 client on a hosts line: `--show-hosts` and `-j`.
import { spawnSync } from "node:child_process";

export interface TracedToken {
  kind: string;
  spec: string;
  options: string[];
}

export interface RealVerdict {
  /** The entries `--show-hosts` printed, or null when distcc refused the list / found no hosts. */
  hosts: string[] | null;
  /** `distcc -j` stdout ("" when refused). */
  jobs: string;
  /**
   * The hosts as distcc's trace reported them, in parse order (before --randomize): the kind
   * ("tcp", "ssh", "localhost"), the entry text, and the options it traced (`lzo`, `cpp`, `auth`,
   * `auth=NAME`; `down` is not traced).
   */
  tokens: TracedToken[];
  /** distcc's log lines without the `distcc[pid] ` prefix. */
  log: string[];
  /** pid of the `--show-hosts` process (distcc seeds --randomize with it). */
  pid: number;
}

/** distcc's last ERROR line before it gave up on the list, as our HostSpecError problem. */
export function realProblem(log: string[]): string | undefined {
  const errors = log.filter((l) => / ERROR: /.test(l));
  const last = errors.at(-1);
  if (last === undefined) return undefined;
  const table: [RegExp, string][] = [
    [/invalid tcp port specification/, "bad-port"],
    [/bad multiplier/, "bad-limit"],
    [/unrecognized option in host specification/, "unknown-option"],
    [/invalid host options/, "cpp-without-compression"],
    [/IPv6 Hostname requires closing/, "unclosed-ipv6"],
    [/hostname is required/, "missing-host"],
  ];
  return table.find(([re]) => re.test(last))?.[1] ?? `unmapped: ${last}`;
}

export function runRealDistcc(line: string, distccDir: string): RealVerdict {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: distccDir, DISTCC_DIR: distccDir, DISTCC_HOSTS: line };
  const show = spawnSync("distcc", ["--show-hosts"], { env: { ...env, DISTCC_VERBOSE: "1" }, encoding: "utf8" });
  const jobs = spawnSync("distcc", ["-j"], { env, encoding: "utf8" });
  const log = show.stderr
    .split(/\n(?=distcc\[)/)
    .map((l) => l.replace(/\n$/, ""))
    .filter(Boolean)
    .map((l) => l.replace(/^distcc\[\d+\] /, ""));
  const tokens: TracedToken[] = [];
  for (const l of log) {
    const found = /^\(dcc_parse_hosts\) found (\w+) token "(.*)"$/s.exec(l);
    if (found) {
      tokens.push({ kind: found[1] as string, spec: found[2] as string, options: [] });
      continue;
    }
    const options = tokens.at(-1)?.options;
    if (!options) continue;
    const got = /^\(dcc_parse_options\) got (LZO|CPP|GSSAPI) option$/.exec(l);
    if (got) options.push({ LZO: "lzo", CPP: "cpp", GSSAPI: "auth" }[got[1] as "LZO" | "CPP" | "GSSAPI"]);
    const named = /^\(dcc_parse_options\) using "(.*)" server name instead of fqdn lookup/.exec(l);
    if (named) options[options.length - 1] = `auth=${named[1]}`;
  }
  return {
    hosts: show.stdout === "" ? null : show.stdout.replace(/\n$/, "").split("\n"),
    jobs: jobs.stdout,
    tokens,
    log: log.filter(
      (l) =>
        !/^\((dcc_trace_version|dcc_recursion_safeguard|main|dcc_get_hostlist|dcc_exit|dcc_cleanup_tempfiles_inner|dcc_parse_hosts\) found)/.test(
          l,
        ),
    ),
    pid: show.pid ?? 0,
  };
}
