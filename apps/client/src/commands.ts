import { EXIT_BAD_ARGUMENTS } from "@x/distcc-protocol";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findHostList, parseHostList, totalJobs } from "@x/distcc-hosts";
import type { ClientCommand } from "./invocation.js";
import { agentPaths } from "./agent-paths.js";
import { makeCompilerLinks } from "./links.js";
import { cachedNativeLauncher, packageFiles } from "./native-launcher.js";
import { VERSION, versionText } from "./version.js";
import { runDoctor } from "./doctor/doctor.js";
import { buildSummary, monOnce } from "./mon/mon-command.js";
import { ensurePrivateDir, UnsafeAgentPathError, verifyPrivateDirIfPresent } from "./private-dir.js";
import { scanIncludes } from "./scan-includes.js";
import { isErrno } from "./errno.js";
import { discoverOnce, NO_HOSTS_HINT, withFoundHelpers } from "./zeroconf-hosts.js";

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

const HELP = `distcc-client ${VERSION}: a drop-in distcc client (protocols 1, 2 and 3) with a resident agent

Usage:
  distcc-client COMPILER [ARGS...]     compile through the helpers in DISTCC_HOSTS
  distcc-client [ARGS...]              the same with cc (implicit form: first argument is an option or a file)
  COMPILER [ARGS...]                   through a link named after the compiler (masquerade, see links)
  distcc-client links DIR              fill DIR with distcc-client and a link per compiler found on PATH;
                                       then PATH=DIR:$PATH make -j8, or make CC="DIR/distcc-client gcc"
  distcc-client --show-hosts           print the host list, one host per line
  distcc-client -j                     print the number of jobs the hosts accept (sum of limits)
  distcc-client --scan-includes COMPILER ARGS...
                                       print the files a pump-mode (,cpp) job of that compile would send
  distcc-client launcher               print the path of the native launcher (built once under DISTCC_DIR),
                                       for make CC="$(distcc-client launcher) gcc"
  distcc-client agent [status|stop]    run the agent in the foreground (normally started on demand),
                                       or show / stop the running one (e.g. after an upgrade)
  distcc-client mon [--once] [--interval S] [--farm]
                                       live view of the agent (jobs per host, queue, throughput) and of the
                                       helpers' own figures from their --stats (--farm: those alone)
  distcc-client summary                the last build: which host compiled how many files, how long, fallbacks
  distcc-client doctor [COMPILER...]   per host: reachable? ours or distccd? which local compilers it serves
                                       (a real test compile, checked), and the exact fix for each it cannot
  distcc-client --help | --version

Environment: DISTCC_HOSTS, DISTCC_DIR (~/.distcc), DISTCC_VERBOSE, DISTCC_LOG, DISTCC_FALLBACK,
DISTCC_SKIP_LOCAL_RETRY, DISTCC_IO_TIMEOUT, DISTCC_BACKOFF_PERIOD, DISTCC_SAVE_TEMPS, TMPDIR,
DISTCC_NO_REWRITE_CROSS, DISTCC_AGENT_IDLE_TIMEOUT (seconds, 300), DISTCC_POLICY (fastest|distcc|random),
DISTCC_SUMMARY (1 or a file: the summary of each build), DISTCC_STATS (where mon asks the helpers'
figures: PORT, HOST[:PORT]=STATSPORT or =URL; 3633), DISTCC_ZEROCONF_BACKEND (avahi|mdns, for
+zeroconf). See docs/client.md, docs/scheduling.md and docs/zeroconf.md.
`;

/** Client commands that do not compile anything. */
export async function runCommand(
  command: ClientCommand,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { cwd: string },
): Promise<CommandResult> {
  switch (command) {
    case "help":
      return { stdout: HELP, stderr: "", code: 0 };
    case "version":
      return { stdout: versionText(), stderr: "", code: 0 };
    case "show-hosts":
    case "jobs": {
      // distcc exits 0 even when the list is invalid; it just prints nothing useful.
      const found = findHostList(env);
      if (!found)
        return {
          stdout: "",
          stderr: `distcc-client: Warning: no hostlist is set; can't distribute work: ${NO_HOSTS_HINT}\n`,
          code: 0,
        };
      try {
        let list = parseHostList(found.text, { source: found.source });
        // +zeroconf: browse now, as distcc does, until the first answers are in (about a second).
        if (list.zeroconf) list = withFoundHelpers(list, (await discoverOnce(env)).helpers);
        // An empty list: distcc prints nothing on stdout, and its warning.
        if (list.hosts.length === 0)
          return {
            stdout: "",
            stderr: `distcc-client: Warning: ${found.source} contained no hosts; can't distribute work\n`,
            code: 0,
          };
        if (command === "jobs") return { stdout: `${totalJobs(list)}\n`, stderr: "", code: 0 };
        return { stdout: list.hosts.map((h) => `${h.spec}\n`).join(""), stderr: "", code: 0 };
      } catch (err) {
        return { stdout: "", stderr: `distcc-client: ${(err as Error).message}\n`, code: 0 };
      }
    }
    case "scan-includes":
      return scanIncludes(args, env, opts.cwd);
    case "links": {
      const dir = args[0];
      if (!dir)
        return { stdout: "", stderr: "distcc-client: usage: distcc-client links DIR\n", code: EXIT_BAD_ARGUMENTS };
      const r = makeCompilerLinks(dir, env);
      const lines = [
        `${r.launcherPath}: ${r.launcher === "native" ? `native launcher (built with ${r.builtWith})` : "Node launcher"}`,
        `${r.names.length} compiler links: ${r.names.join(" ")}`,
        `use: PATH=${r.dir}:$PATH make -j8   or   make CC="${r.launcherPath} gcc"`,
      ];
      return { stdout: `${lines.join("\n")}\n`, stderr: r.warning ? `distcc-client: ${r.warning}\n` : "", code: 0 };
    }
    case "launcher": {
      const { stateDir, privateDirs } = agentPaths(env);
      try {
        // The launcher is cached in the state directory: a fallback one must be ours alone.
        if (privateDirs.includes(stateDir)) ensurePrivateDir(stateDir, process.getuid?.() ?? 0);
        return { stdout: `${cachedNativeLauncher(stateDir, env)}\n`, stderr: "", code: 0 };
      } catch (err) {
        // No C compiler: the Node CLI works the same, only with Node's start-up on every job.
        return {
          stdout: `${packageFiles().cliScript}\n`,
          stderr: `distcc-client: ${(err as Error).message}\n`,
          code: 0,
        };
      }
    }
    case "doctor": {
      const report = await runDoctor(args, env);
      return { stdout: report.text, stderr: "", code: report.code };
    }
    case "mon":
      return monOnce(env, args); // live (no --once) only from the command line: see cli.ts
    case "summary":
      return buildSummary(env);
    case "agent":
      return {
        stdout: "",
        stderr: "distcc-client: 'agent' runs from the command line only\n",
        code: EXIT_BAD_ARGUMENTS,
      };
  }
}

/** `agent status` / `agent stop`: the running agent of this DISTCC_DIR, found by its pid file. */
export function agentControl(action: "status" | "stop", env: Record<string, string | undefined>): CommandResult {
  const paths = agentPaths(env);
  let pid: number | undefined;
  try {
    // The pid file of a directory someone else controls could name any of our processes.
    for (const dir of [...paths.privateDirs, paths.agentDir]) verifyPrivateDirIfPresent(dir, process.getuid?.() ?? 0);
  } catch (err) {
    if (!(err instanceof UnsafeAgentPathError)) throw err;
    return { stdout: "", stderr: `distcc-client: refusing the agent at ${paths.socketPath}: ${err.reason}\n`, code: 1 };
  }
  try {
    pid = Number(readFileSync(join(paths.agentDir, "agent.pid"), "utf8"));
    process.kill(pid, 0);
  } catch (err) {
    // No pid file, or its process is gone: no agent.
    if (!isErrno(err, "ENOENT", "ESRCH")) throw err;
    pid = undefined;
  }
  if (pid === undefined)
    return { stdout: `no agent runs for ${paths.stateDir}\n`, stderr: "", code: action === "stop" ? 0 : 1 };
  if (action === "status") return { stdout: `agent ${pid} listens on ${paths.socketPath}\n`, stderr: "", code: 0 };
  process.kill(pid, "SIGTERM");
  return { stdout: `stopped agent ${pid}\n`, stderr: "", code: 0 };
}
