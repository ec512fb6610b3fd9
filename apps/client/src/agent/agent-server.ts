import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AgentPaths } from "../agent-paths.js";
import { agentSocketProblem, ensurePrivateDir, UnsafeAgentPathError } from "../private-dir.js";
import {
  encodeFrame,
  LaunchRequestDecoder,
  LauncherReplyDecoder,
  type AgentFrame,
  type LaunchRequest,
  type LauncherReply,
} from "../launch-frames.js";
import { errorMessage, isErrno, isLookupMiss } from "../errno.js";

/** Why a job's signal aborts and its reply wait fails: its launcher closed the connection (one shared, immutable reason). */
export const LAUNCHER_GONE: Error = Object.freeze(new Error("the launcher went away"));

/** One launcher's job as the agent sees it. */
export interface JobConnection {
  request: LaunchRequest;
  send(frame: AgentFrame): void;
  /** Aborted when the launcher goes away (killed, Ctrl-C): cancel the job, free its slot. */
  signal: AbortSignal;
  /** Resolves when the launcher (or the compiler it exec'd) closed the connection. */
  closed: Promise<void>;
  /** The launcher's next reply (the preprocessor's status); rejects if it goes away first. */
  nextReply(): Promise<LauncherReply>;
  end(): void;
}

export interface AgentServerOptions {
  paths: AgentPaths;
  /** Leave after this long without any connection. */
  idleMs: number;
  onJob(job: JobConnection): Promise<void>;
  onError?(err: unknown): void;
}

export interface AgentServer {
  /** Resolves when the agent stopped (idle, or its socket was taken over). */
  stopped: Promise<void>;
  close(): Promise<void>;
}

class AgentStartError extends DistccError<
  Extract<ClientErrorCode, "DISTCC_CLIENT_ERR_AGENT_DIR" | "DISTCC_CLIENT_ERR_AGENT_LISTEN">
> {}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function listenOn(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once("error", onError);
    server.listen(path, () => {
      server.off("error", onError);
      resolve(undefined);
    });
  });
}

/**
 * The agent's directory: ours, mode 0700, verified (never adopted from another user, never loosened);
 * the per-user fallback directories above it likewise.
 */
function prepareDir(paths: AgentPaths, uid: number): void {
  try {
    for (const dir of paths.privateDirs) ensurePrivateDir(dir, uid);
    mkdirSync(paths.stateDir, { recursive: true });
    ensurePrivateDir(paths.agentDir, uid);
  } catch (err) {
    if (err instanceof UnsafeAgentPathError) throw new AgentStartError("DISTCC_CLIENT_ERR_AGENT_DIR", err.reason);
    throw err;
  }
  // Preprocessor outputs left by an agent that was killed.
  for (const f of readdirSync(paths.agentDir))
    if (f.startsWith("cpp-")) rmSync(join(paths.agentDir, f), { force: true });
}

/** Binds with umask 077, so the socket is 0600 from its first instant, not only after the chmod. */
async function listenPrivately(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  const previous = process.umask(0o077);
  try {
    return await listenOn(server, path);
  } finally {
    process.umask(previous);
  }
}

/**
 * Listens on the agent socket. Returns "taken" when a live agent already answers there (a racing
 * second agent leaves cleanly); a stale socket file (nobody listening) is moved away and replaced.
 */
export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer | "taken"> {
  const uid = process.getuid?.() ?? 0;
  prepareDir(opts.paths, uid);
  const { socketPath } = opts.paths;
  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const sockets = new Set<Socket>();

  const server = createServer({ allowHalfOpen: true }, (socket) => onConnection(socket));
  let listened = false;
  for (let attempt = 0; attempt < 4 && !listened; attempt++) {
    const err = await listenPrivately(server, socketPath);
    if (!err) {
      listened = true;
      break;
    }
    if (err.code !== "EADDRINUSE") {
      throw new AgentStartError("DISTCC_CLIENT_ERR_AGENT_LISTEN", `cannot listen on ${socketPath}: ${err.message}`);
    }
    if (await probe(socketPath)) return "taken";
    // Stale: rename first (atomic) so a racing agent never unlinks a socket that was just bound.
    const aside = `${socketPath}.stale.${process.pid}`;
    try {
      renameSync(socketPath, aside);
      unlinkSync(aside);
    } catch (err) {
      if (!isErrno(err, "ENOENT"))
        throw new AgentStartError(
          "DISTCC_CLIENT_ERR_AGENT_LISTEN",
          `cannot replace the stale ${socketPath}: ${errorMessage(err)}`,
        );
      // else somebody else moved it: just retry
    }
  }
  if (!listened) throw new AgentStartError("DISTCC_CLIENT_ERR_AGENT_LISTEN", `cannot take over ${socketPath}`);
  chmodSync(socketPath, 0o600);
  const bound = lstatSync(socketPath);
  const socketProblem =
    agentSocketProblem(socketPath, bound, uid) ??
    ((bound.mode & 0o077) !== 0 ? `${socketPath} is not mode 0600` : undefined);
  if (socketProblem) {
    await new Promise<void>((r) => server.close(() => r()));
    throw new AgentStartError("DISTCC_CLIENT_ERR_AGENT_LISTEN", socketProblem);
  }
  const ourIno = bound.ino;

  const stillOurs = (): boolean => {
    try {
      return statSync(socketPath).ino === ourIno;
    } catch (err) {
      if (isLookupMiss(err)) return false; // removed (or replaced by a path we cannot see): not ours any more
      throw err;
    }
  };

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (idleTimer) clearTimeout(idleTimer);
    await new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    if (stillOurs()) {
      try {
        unlinkSync(socketPath);
      } catch (err) {
        if (!isErrno(err, "ENOENT")) opts.onError?.(err); // else already gone
      }
    }
    resolveStopped();
  };

  const armIdle = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (active === 0) void stop();
    }, opts.idleMs);
    idleTimer.unref?.();
  };

  function onConnection(socket: Socket): void {
    if (stopping) {
      socket.destroy();
      return;
    }
    if (!stillOurs()) {
      // Another agent replaced our socket file: let it serve; we finish what we have and leave.
      socket.destroy();
      if (active === 0) void stop();
      return;
    }
    active++;
    sockets.add(socket);
    if (idleTimer) clearTimeout(idleTimer);
    const abort = new AbortController();
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const decoder = new LaunchRequestDecoder();
    const replies = new LauncherReplyDecoder();
    const queued: LauncherReply[] = [];
    let replyWaiter: { resolve(r: LauncherReply): void; reject(e: unknown): void } | undefined;
    const deliver = (chunk: Buffer): void => {
      queued.push(...replies.push(chunk));
      if (replyWaiter && queued.length) {
        const w = replyWaiter;
        replyWaiter = undefined;
        w.resolve(queued.shift()!);
      }
    };
    let started = false;
    const finish = (): void => {
      sockets.delete(socket);
      // With a reason given, abort() builds no DOMException (a stack trace per job: every launcher
      // closes its connection, finished or not).
      abort.abort(LAUNCHER_GONE);
      replyWaiter?.reject(LAUNCHER_GONE);
      replyWaiter = undefined;
      resolveClosed();
      active--;
      if (active === 0) armIdle();
    };
    socket.once("close", finish);
    socket.on("error", () => socket.destroy());
    socket.on("end", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      let request: LaunchRequest | undefined;
      try {
        if (started) return deliver(chunk);
        request = decoder.push(chunk);
        if (request && decoder.rest.length) deliver(decoder.rest);
      } catch (err) {
        opts.onError?.(err);
        socket.destroy();
        return;
      }
      if (!request) return;
      started = true;
      // Frames sent in one tick (a job's stdout, stderr and exit) leave in one writev: each write
      // would wake the launcher, which on a weak single-core client is a context switch per frame.
      let corked = false;
      const flush = (): void => {
        corked = false;
        socket.uncork();
      };
      const job: JobConnection = {
        request,
        signal: abort.signal,
        closed,
        send(frame) {
          if (socket.destroyed) return;
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(flush);
          }
          for (const part of encodeFrame(frame)) socket.write(part);
        },
        end() {
          socket.end();
        },
        nextReply() {
          if (queued.length) return Promise.resolve(queued.shift()!);
          if (socket.destroyed || abort.signal.aborted) return Promise.reject(LAUNCHER_GONE);
          return new Promise<LauncherReply>((resolve, reject) => (replyWaiter = { resolve, reject }));
        },
      };
      opts.onJob(job).catch((err: unknown) => {
        // A bug of ours must not fail the build: the launcher compiles locally when the agent closes
        // without an exit status (it says so); the error is in agent.log.
        opts.onError?.(err);
        job.send({
          type: "stderr",
          data: Buffer.from(`distcc-client: internal error in the agent: ${errorMessage(err)}\n`),
        });
        socket.end();
      });
    });
  }

  armIdle();
  return { stopped, close: stop };
}

/** Tells the launcher that started us (fd from DISTCC_AGENT_READY_FD) that we are listening. */
export function signalReady(env: NodeJS.ProcessEnv): void {
  const raw = env.DISTCC_AGENT_READY_FD;
  if (!raw) return;
  const fd = Number(raw);
  if (!Number.isInteger(fd) || fd < 3) return;
  try {
    writeSync(fd, "1");
    closeSync(fd);
  } catch (err) {
    // The launcher gave up waiting (its end is closed), or it passed no such descriptor: nothing to tell.
    if (!isErrno(err, "EPIPE", "EBADF")) throw err;
  }
}
