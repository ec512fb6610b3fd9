/**
 * The resident agent's entry (`node dist/agent-main.js`). Started detached by the first launcher
 * that finds no agent; leaves after DISTCC_AGENT_IDLE_TIMEOUT seconds without jobs (300).
 */
import { EXIT_DISTCC_FAILED } from "@x/distcc-protocol";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { agentPaths } from "./agent-paths.js";
import { startAgentServer, signalReady } from "./agent/agent-server.js";
import { AgentState } from "./agent/agent-state.js";
import { handleJob } from "./agent/compile-job.js";
import { envSeconds } from "./env-options.js";
import { STATUS_SIGNAL } from "./mon/status.js";
import { errorMessage, isErrno } from "./errno.js";

export async function runAgent(env: NodeJS.ProcessEnv): Promise<number> {
  const paths = agentPaths(env.DISTCC_DIR ? { ...env, DISTCC_DIR: resolve(env.DISTCC_DIR) } : env);
  // Never keep the first launcher's build directory busy (or depend on it still existing).
  process.chdir("/");
  const idleMs = Math.max(0.05, envSeconds(env, "DISTCC_AGENT_IDLE_TIMEOUT", 300)) * 1000;
  const state = new AgentState(paths);
  const logFile = join(paths.agentDir, "agent.log");
  const logError = (err: unknown): void => {
    const line = `${new Date().toISOString()} [${process.pid}] ${(err as Error)?.stack ?? String(err)}\n`;
    try {
      appendFileSync(logFile, line);
    } catch (logErr) {
      // The log itself failed: its error and the original go to the agent's stderr, the last place left.
      process.stderr.write(`distcc-client agent: cannot write ${logFile}: ${errorMessage(logErr)}\n${line}`);
    }
  };
  const server = await startAgentServer({
    paths,
    idleMs,
    onJob: (job) => {
      state.noteLauncher(job.request.self);
      return handleJob(job, state);
    },
    onError: logError,
  });
  if (server === "taken") return 0; // a racing agent won: leave cleanly (the ready fd closes on exit)
  writeFileSync(join(paths.agentDir, "agent.pid"), `${process.pid}\n`);
  signalReady(env);
  delete env.DISTCC_AGENT_READY_FD;
  const stop = (): void => void server.close();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // `mon` and `summary` ask for the status as it is now (see AgentMonitor.writeStatusNow).
  process.on(STATUS_SIGNAL, () => state.monitor.writeStatusNow());
  process.on("uncaughtException", logError);
  process.on("unhandledRejection", logError);
  await server.stopped;
  state.close();
  try {
    const pidFile = join(paths.agentDir, "agent.pid");
    if (Number(readFileSync(pidFile, "utf8")) === process.pid) rmSync(pidFile);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) logError(err); // else gone already
  }
  return 0;
}

if (process.argv[1] && /agent-main\.js$/.test(process.argv[1])) {
  runAgent(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`distcc-client agent: ${(err as Error).message}\n`);
      process.exit(EXIT_DISTCC_FAILED);
    },
  );
}
