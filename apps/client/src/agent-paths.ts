import { join } from "node:path";

/** Where the agent of one user and one DISTCC_DIR lives. Must match native/launcher.c. */
export interface AgentPaths {
  /** DISTCC_DIR, or ~/.distcc. */
  stateDir: string;
  /** Private directory (mode 0700) holding the socket and the start lock. */
  agentDir: string;
  socketPath: string;
  startLock: string;
}

const SOCKET_NAME = "agent-1.sock";

/** FNV-1a 64, as hex: names a short socket path for a deep DISTCC_DIR (sun_path is 108 bytes). */
export function fnv1a64Hex(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

export function stateDirOf(env: Record<string, string | undefined>): string {
  const dir = env.DISTCC_DIR;
  if (dir) return dir;
  return `${env.HOME ? env.HOME : "/tmp"}/.distcc`;
}

export function agentPaths(env: Record<string, string | undefined>, uid = process.getuid?.() ?? 0): AgentPaths {
  const stateDir = stateDirOf(env);
  let agentDir = `${stateDir}/agent`;
  let socketPath = `${agentDir}/${SOCKET_NAME}`;
  if (Buffer.byteLength(socketPath) >= 100) {
    agentDir = `/tmp/distcc-agent-${uid}`;
    socketPath = `${agentDir}/${fnv1a64Hex(stateDir)}.sock`;
  }
  return { stateDir, agentDir, socketPath, startLock: join(agentDir, "start.lock") };
}
