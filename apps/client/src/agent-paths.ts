import { join } from "node:path";

/** Where the agent of one user and one DISTCC_DIR lives. Must match native/launcher.c. */
export interface AgentPaths {
  /** DISTCC_DIR, or ~/.distcc, or (HOME unset) a per-user directory: see stateDirOf. */
  stateDir: string;
  /**
   * Our per-user fallback directories in places others can write (/tmp), parents first: each is
   * created with mode 0700 and used only if it is ours with that mode, else another user could have
   * made it first and listen in it. Empty when DISTCC_DIR or HOME decides everything.
   */
  privateDirs: string[];
  /** Private directory (mode 0700) of this agent alone: its socket, start lock, pid file, log. */
  agentDir: string;
  socketPath: string;
  startLock: string;
}

const SOCKET_NAME = "agent-1.sock";
/** sun_path holds 108 bytes; a path this long or longer moves the socket to a short directory. */
const MAX_SOCKET_PATH = 100;

/** FNV-1a 64, as hex: names a short socket path for a deep DISTCC_DIR (sun_path is 108 bytes). */
export function fnv1a64Hex(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

/** $XDG_RUNTIME_DIR when it names an absolute directory: per user, made 0700 by systemd-logind. */
function runtimeDirOf(env: Record<string, string | undefined>): string | undefined {
  const dir = env.XDG_RUNTIME_DIR;
  return dir?.startsWith("/") ? dir : undefined;
}

/**
 * DISTCC_DIR, else ~/.distcc, else (HOME unset: cron, daemons) $XDG_RUNTIME_DIR/distcc or
 * /tmp/distcc-<uid>. The last is a name anybody can create first, which is why it must be verified
 * as ours and private before use (privateStateDir).
 */
function stateDirOf(env: Record<string, string | undefined>, uid = currentUid()): string {
  if (env.DISTCC_DIR) return env.DISTCC_DIR;
  if (env.HOME) return `${env.HOME}/.distcc`;
  const runtime = runtimeDirOf(env);
  return runtime ? `${runtime}/distcc` : `/tmp/distcc-${uid}`;
}

function currentUid(): number {
  return process.getuid?.() ?? 0;
}

export function agentPaths(env: Record<string, string | undefined>, uid = currentUid()): AgentPaths {
  const stateDir = stateDirOf(env, uid);
  const privateDirs = !env.DISTCC_DIR && !env.HOME ? [stateDir] : [];
  let agentDir = `${stateDir}/agent`;
  let socketPath = `${agentDir}/${SOCKET_NAME}`;
  if (Buffer.byteLength(socketPath) >= MAX_SOCKET_PATH) {
    // One directory per state directory inside the per-user one: agents of different DISTCC_DIRs
    // never share a pid file, a log or preprocessor outputs.
    const tail = `${fnv1a64Hex(stateDir)}/${SOCKET_NAME}`;
    const runtime = runtimeDirOf(env);
    const shared =
      runtime && Buffer.byteLength(`${runtime}/distcc-agent/${tail}`) < MAX_SOCKET_PATH
        ? `${runtime}/distcc-agent`
        : `/tmp/distcc-agent-${uid}`;
    privateDirs.push(shared);
    agentDir = `${shared}/${fnv1a64Hex(stateDir)}`;
    socketPath = `${shared}/${tail}`;
  }
  return { stateDir, privateDirs, agentDir, socketPath, startLock: join(agentDir, "start.lock") };
}
