import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { agentPaths } from "../agent-paths.js";
import { formatMon, formatSummary, STATUS_SIGNAL, type AgentStatus, type ZeroconfStatus } from "./status.js";
import { isErrno } from "../errno.js";

/**
 * The farm's code (its zod schemas, the HTTP client) is loaded only when `mon` runs: this module is
 * part of the CLI that starts every compile, which must not build schemas it does not use.
 */
const loadFarm = (): Promise<typeof import("./farm.js")> => import("./farm.js");

export interface MonResult {
  stdout: string;
  stderr: string;
  code: number;
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** The status file as it is (undefined: none, or of another version). */
function readStatusFile(agentDir: string): AgentStatus | undefined {
  let status: AgentStatus | undefined;
  // The agent replaces the file by unlink + rename (see writeAtomically): it can be missing for an instant.
  for (let attempt = 0; attempt < 3 && !status; attempt++) {
    if (attempt > 0) pause(10);
    try {
      status = JSON.parse(readFileSync(join(agentDir, "status.json"), "utf8")) as AgentStatus;
    } catch (err) {
      // Not there (yet, or this instant), or a file of another version cut short: look again, then "no agent".
      if (!isErrno(err, "ENOENT") && !(err instanceof SyntaxError)) throw err;
    }
  }
  return status?.version === 1 ? status : undefined;
}

/** The pid of this DISTCC_DIR's agent if one runs (its pid file names a live agent process), else undefined. */
function runningAgentPid(agentDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(agentDir, "agent.pid"), "utf8"));
    // A pid file left by a killed agent may name another program now: it must be an agent.
    if (!(pid > 0) || !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("agent-main")) return undefined;
    return pid;
  } catch (err) {
    // No pid file (no agent), or no such process.
    if (!isErrno(err, "ENOENT", "ESRCH")) throw err;
    return undefined;
  }
}

/**
 * A running agent writes its status at most every 250 ms: asked (STATUS_SIGNAL), it writes it now,
 * so `summary` right after make counts the last job. Waits up to half a second for that write.
 */
function freshStatus(agentDir: string, pid: number): AgentStatus | undefined {
  const asked = Date.now();
  try {
    process.kill(pid, STATUS_SIGNAL);
  } catch (err) {
    // It left meanwhile, or belongs to another user: the file is all there is.
    if (!isErrno(err, "ESRCH", "EPERM")) throw err;
    return readStatusFile(agentDir);
  }
  let status = readStatusFile(agentDir);
  for (let waited = 0; waited < 500 && !(status && status.updatedAt >= asked); waited += 5) {
    pause(5);
    status = readStatusFile(agentDir);
  }
  return status;
}

/**
 * The status the agent of this DISTCC_DIR published (the running one, as it is now, or the last
 * one: its file stays and still tells about the last build); `running` says whether that agent is alive.
 */
function readAgentStatus(
  env: Record<string, string | undefined>,
): { status: AgentStatus; running: boolean } | undefined {
  const { agentDir } = agentPaths(env);
  const pid = runningAgentPid(agentDir);
  const status = pid !== undefined ? freshStatus(agentDir, pid) : readStatusFile(agentDir);
  if (!status) return undefined;
  return { status, running: pid !== undefined && status.pid === pid };
}

function noAgent(env: Record<string, string | undefined>): MonResult {
  return { stdout: "", stderr: `distcc-client: no agent has run for ${agentPaths(env).stateDir} yet\n`, code: 1 };
}

/** The agent's figures (the view `mon` had before the farm). */
function agentView(env: Record<string, string | undefined>, now: number): MonResult {
  const read = readAgentStatus(env);
  if (!read) return noAgent(env);
  const view = formatMon(read.status, now);
  return { stdout: read.running ? view : view.replace(/\n/, " (agent no longer running)\n"), stderr: "", code: 0 };
}

/** The helpers `+zeroconf` stands for now: the running agent's (it keeps browsing); none without one. */
function zeroconfHelpers(env: Record<string, string | undefined>): ZeroconfStatus["helpers"] {
  const read = readAgentStatus(env);
  return read?.running ? (read.status.zeroconf?.helpers ?? []) : [];
}

/** Views from `--farm` (the farm alone) and without it (the agent, then the farm). */
function compose(farmOnly: boolean, agent: () => MonResult, farm: string | { problem: string }): MonResult {
  if (farmOnly) {
    return typeof farm === "string"
      ? { stdout: farm, stderr: "", code: 0 }
      : { stdout: "", stderr: `distcc-client: ${farm.problem}\n`, code: 1 };
  }
  const a = agent();
  const farmText = typeof farm === "string" ? farm : `farm: ${farm.problem}\n`;
  return { stdout: `${a.stdout}${a.stdout ? "\n" : ""}${farmText}`, stderr: a.stderr, code: a.code };
}

/**
 * `distcc-client mon --once [--farm]`: one view of the agent's figures and the helpers' own (every
 * helper asked at once, each for at most 1.5 s: see fetchFarmStats).
 */
export async function monOnce(
  env: Record<string, string | undefined>,
  args: readonly string[] = [],
  now?: number,
): Promise<MonResult> {
  const { farmTargets, fetchFarmStats, formatFarm } = await loadFarm();
  const where = farmTargets(env, zeroconfHelpers(env));
  const farm = "problem" in where ? where : formatFarm(await fetchFarmStats(where.targets));
  return compose(args.includes("--farm"), () => agentView(env, now ?? Date.now()), farm);
}

/** `distcc-client summary`: the last (or running) build: which place compiled how many files, how long, fallbacks. */
export function buildSummary(env: Record<string, string | undefined>, now = Date.now()): MonResult {
  const status = readAgentStatus(env)?.status;
  if (!status) return noAgent(env);
  if (!status.build) return { stdout: "no build yet\n", stderr: "", code: 0 };
  return { stdout: formatSummary(status.build, now), stderr: "", code: 0 };
}

/**
 * `distcc-client mon [--once] [--interval S] [--farm]`: the live view, redrawn every S seconds (1) on a
 * terminal; into a pipe, one block per interval (or one with --once). Ends on SIGINT/SIGTERM.
 */
export async function runMon(
  args: string[],
  env: Record<string, string | undefined>,
  out: NodeJS.WriteStream,
  signal?: AbortSignal,
): Promise<number> {
  const once = args.includes("--once");
  const farmOnly = args.includes("--farm");
  const at = args.indexOf("--interval");
  const interval = at >= 0 ? Number(args[at + 1]) : 1;
  const periodMs = Number.isFinite(interval) && interval > 0 ? interval * 1000 : 1000;
  if (once) {
    const r = await monOnce(env, args);
    out.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code;
  }
  const tty = out.isTTY === true;
  const { farmTargets, FarmPoller, formatFarm } = await loadFarm();
  const where = farmTargets(env, zeroconfHelpers(env));
  const poller = "problem" in where ? undefined : new FarmPoller(where.targets, signal);
  // The first frame waits a moment for the helpers (most answer in a few ms), never a whole timeout.
  if (poller) await Promise.race([poller.poll(), sleep(Math.min(300, periodMs))]);
  // A reader that went away (`mon | head`): stop drawing rather than die on EPIPE.
  let readerGone = false;
  out.on("error", (err) => {
    if (!isErrno(err, "EPIPE")) throw err;
    readerGone = true;
  });
  while (!signal?.aborted && !readerGone) {
    void poller?.poll();
    const r = compose(
      farmOnly,
      () => agentView(env, Date.now()),
      poller ? formatFarm(poller.rows) : (where as { problem: string }),
    );
    const text = r.code === 0 ? r.stdout : r.stderr.replace(/^distcc-client: /, "");
    out.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
    try {
      await sleep(periodMs, undefined, signal ? { signal } : undefined);
    } catch (err) {
      if ((err as Error).name === "AbortError") break; // SIGINT/SIGTERM
      throw err;
    }
  }
  return 0;
}
