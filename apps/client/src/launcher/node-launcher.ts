/**
 * The Node launcher: same job as native/launcher.c (forward argv/cwd/env to the agent, relay
 * output, exec locally when told), used when no C compiler could build the native one.
 */
import { EXIT_COMPILER_MISSING, EXIT_DISTCC_FAILED, EXIT_IO_ERROR } from "@x/distcc-protocol";
import { spawn } from "node:child_process";
import { mkdirSync, realpathSync } from "node:fs";
import type { Socket } from "node:net";
import { constants } from "node:os";
import { agentPaths, type AgentPaths } from "../agent-paths.js";
import { classifyInvocation, findCompiler, safeguardLevel } from "../invocation.js";
import { closeSync, openSync } from "node:fs";
import {
  AgentFrameDecoder,
  encodeLaunchRequest,
  encodeLauncherReply,
  type Preprocess,
  type RunLocally,
} from "../launch-frames.js";
import { packageFiles } from "../native-launcher.js";
import { ensurePrivateDir, UnsafeAgentPathError } from "../private-dir.js";
import { connectToAgent } from "./agent-connection.js";
import { isLookupMiss } from "../errno.js";

/** Starts the agent detached and waits until it says it listens (or exits: another one won). */
function startAgent(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [packageFiles().agentScript], {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", "pipe"],
      env: { ...env, DISTCC_AGENT_READY_FD: "3" },
    });
    const ready = child.stdio[3] as NodeJS.ReadableStream | null;
    const timer = setTimeout(done, 15_000);
    function done(): void {
      clearTimeout(timer);
      child.unref();
      (ready as unknown as { destroy?: () => void })?.destroy?.();
      resolve();
    }
    child.once("error", done);
    if (!ready) return done();
    ready.once("data", done);
    ready.once("end", done);
    ready.once("error", done);
  });
}

function exitLike(code: number | null, signal: NodeJS.Signals | null): never {
  if (signal) {
    process.kill(process.pid, signal);
    process.exit(128 + ((constants.signals as Record<string, number>)[signal] ?? 1));
  }
  process.exit(code ?? 1);
}

function runChild(path: string, argv: string[], env: NodeJS.ProcessEnv, socket?: Socket): void {
  const child = spawn(path, argv.slice(1), { argv0: argv[0], stdio: "inherit", env });
  child.once("error", (err) => {
    process.stderr.write(`distcc-client: failed to run ${path}: ${err.message}\n`);
    process.exit(EXIT_COMPILER_MISSING);
  });
  child.once("exit", (code, signal) => {
    socket?.destroy();
    exitLike(code, signal);
  });
}

/**
 * A verified connection to this user's agent, started if need be; undefined (after saying why) when
 * there is none to trust: the caller compiles locally.
 */
async function reachAgent(paths: AgentPaths, env: NodeJS.ProcessEnv): Promise<Socket | undefined> {
  const uid = process.getuid?.() ?? 0;
  try {
    for (const dir of paths.privateDirs) ensurePrivateDir(dir, uid);
    const socket = await connectToAgent(paths, uid);
    if (socket) return socket;
    mkdirSync(paths.stateDir, { recursive: true });
    ensurePrivateDir(paths.agentDir, uid);
    await startAgent(env);
    const started = await connectToAgent(paths, uid);
    if (!started)
      process.stderr.write(
        `distcc-client: cannot reach or start the agent (agent socket ${paths.socketPath}); compiling locally\n`,
      );
    return started;
  } catch (err) {
    if (err instanceof UnsafeAgentPathError) {
      process.stderr.write(
        `distcc-client: refusing the agent at ${paths.socketPath}: ${err.reason}; compiling locally\n`,
      );
    } else {
      process.stderr.write(
        `distcc-client: cannot reach or start the agent (${(err as Error).message}); compiling locally\n`,
      );
    }
    return undefined;
  }
}

/** Local compile without the agent: a build never fails because the agent did. */
function compileWithoutAgent(argv: string[], self: string): void {
  const env = process.env;
  const inv = classifyInvocation(argv, env, process.cwd());
  if (inv.kind !== "compile") process.exit(EXIT_DISTCC_FAILED);
  const path = findCompiler(inv.compilerName, inv.path, process.cwd(), [self]);
  if (!path) {
    process.stderr.write(`distcc-client: failed to exec ${inv.compilerName}: compiler not found on PATH\n`);
    process.exit(EXIT_COMPILER_MISSING);
  }
  const childEnv: NodeJS.ProcessEnv = { ...env, _DISTCC_SAFEGUARD: String(safeguardLevel(env) + 1) };
  if (inv.pathWasCut) childEnv.PATH = inv.path;
  runChild(path, [inv.compilerName, ...inv.args], childEnv);
}

export async function runNodeLauncher(argv: string[]): Promise<void> {
  const env = process.env;
  let self = process.argv[1] ?? "";
  try {
    self = realpathSync(self);
  } catch (err) {
    if (!isLookupMiss(err)) throw err; // else keep it as given
  }
  const paths = agentPaths(env);
  const socket = await reachAgent(paths, env);
  if (!socket) return compileWithoutAgent(argv, self);
  const envRecord: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) envRecord[k] = v;
  socket.write(encodeLaunchRequest({ self, cwd: process.cwd(), argv, env: envRecord }));
  const decoder = new AgentFrameDecoder();
  let finished = false;
  const conn = socket;
  conn.on("data", (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type === "stdout") process.stdout.write(frame.data);
      else if (frame.type === "stderr") process.stderr.write(frame.data);
      else if (frame.type === "exit") {
        finished = true;
        conn.destroy();
        process.exitCode = frame.code;
        // Let stdout/stderr drain before leaving.
        process.stdout.write("", () => process.stderr.write("", () => process.exit(frame.code)));
      } else if (frame.type === "run") {
        finished = true;
        runLocal(frame.run, conn);
      } else if (frame.type === "preprocess") {
        runPreprocessor(frame.run, conn);
      }
    }
  });
  conn.on("error", () => undefined);
  conn.on("close", () => {
    if (!finished) compileWithoutAgent(argv, self); // the agent died mid-job
  });
}

/** The agent's 'p': run cpp with stdout/stderr into its files, answer the status. */
function runPreprocessor(run: Preprocess, socket: Socket): void {
  let out: number | undefined;
  let err: number | undefined;
  const reply = (code: number): void => {
    if (out !== undefined) closeSync(out);
    if (err !== undefined) closeSync(err);
    socket.write(encodeLauncherReply({ type: "cpp-status", code }));
  };
  try {
    out = openSync(run.outFile, "w", 0o600);
    err = openSync(run.errFile, "w", 0o600);
  } catch (openErr) {
    // Whatever the reason (EMFILE, EACCES, ENOSPC): no preprocessing; the agent, finding no output,
    // has this job compiled locally and says why.
    void openErr;
    reply(EXIT_IO_ERROR);
    return;
  }
  const child = spawn(run.path, run.argv.slice(1), {
    argv0: run.argv[0],
    stdio: ["ignore", out, err],
    env: { ...process.env, ...run.setEnv },
  });
  child.once("error", () => reply(EXIT_COMPILER_MISSING));
  child.once("exit", (code, signal) =>
    reply(signal ? 128 + ((constants.signals as Record<string, number>)[signal] ?? 1) : (code ?? 1)),
  );
}

function runLocal(run: RunLocally, socket: Socket): void {
  // Keep the socket open until the compiler exits: the agent holds our local slot until then.
  socket.removeAllListeners("data");
  runChild(run.path, run.argv, { ...process.env, ...run.setEnv }, socket);
}
