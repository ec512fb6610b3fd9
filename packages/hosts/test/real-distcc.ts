// Runs Debian's real distcc 3.4 client on a hosts line: `--show-hosts` and `-j`.
import { spawnSync } from "node:child_process";

export interface RealVerdict {
  /** The entries `--show-hosts` printed, or null when distcc refused the list / found no hosts. */
  hosts: string[] | null;
  /** `distcc -j` stdout ("" when refused). */
  jobs: string;
  /** The token kinds distcc's trace reported, in parse order ("tcp", "ssh", "localhost"). */
  kinds: string[];
  /** distcc's log lines without the `distcc[pid] ` prefix. */
  log: string[];
  /** pid of the `--show-hosts` process (distcc seeds --randomize with it). */
  pid: number;
}

export function runRealDistcc(line: string, distccDir: string): RealVerdict {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: distccDir, DISTCC_DIR: distccDir, DISTCC_HOSTS: line };
  const show = spawnSync("distcc", ["--show-hosts"], { env: { ...env, DISTCC_VERBOSE: "1" }, encoding: "utf8" });
  const jobs = spawnSync("distcc", ["-j"], { env, encoding: "utf8" });
  const log = show.stderr.split("\n").filter(Boolean).map((l) => l.replace(/^distcc\[\d+\] /, ""));
  const kinds = log.flatMap((l) => {
    const m = /^\(dcc_parse_hosts\) found (\w+) token/.exec(l);
    return m ? [m[1] as string] : [];
  });
  return {
    hosts: show.stdout === "" ? null : show.stdout.replace(/\n$/, "").split("\n"),
    jobs: jobs.stdout,
    kinds,
    log: log.filter((l) => !/^\((dcc_trace_version|dcc_recursion_safeguard|main|dcc_get_hostlist|dcc_exit|dcc_cleanup_tempfiles_inner|dcc_parse_hosts\) found)/.test(l)),
    pid: show.pid ?? 0,
  };
}
