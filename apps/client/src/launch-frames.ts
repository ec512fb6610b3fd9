/**
 * The launcher <-> agent protocol on the agent's Unix socket (see native/launcher.c).
 *
 * Launcher -> agent: "DCL1" u32be(len) + NUL-terminated strings: self, cwd, argc, argv..., envc, env...
 * Agent -> launcher: frames [type u8][u32be len][body]: 'o' stdout, 'e' stderr, 'x' exit code (decimal),
 * 'r' run locally (NUL-terminated path, argc, argv..., setc, "K=V"...).
 */

export const LAUNCH_TAG = "DCL1";
/** A launch request carries argv and the environment: 8 MB is far beyond any real command line. */
export const MAX_LAUNCH_REQUEST = 8 * 1024 * 1024;
export const MAX_FRAME = 64 * 1024 * 1024;

export interface LaunchRequest {
  /** The launcher's own executable (realpath), so masquerade lookups can skip it. */
  self: string;
  cwd: string;
  argv: string[];
  env: Record<string, string>;
}

export interface RunLocally {
  path: string;
  argv: string[];
  /** Variables the launcher sets before exec. */
  setEnv: Record<string, string>;
}

export class LaunchProtocolError extends Error {
  readonly code = "DISTCC_ERR_LAUNCH_PROTOCOL";
}

function nulJoin(parts: string[]): Buffer {
  return Buffer.from(parts.map((p) => `${p}\0`).join(""), "utf8");
}

function splitNul(body: Buffer): string[] {
  const text = body.toString("utf8");
  if (text.length > 0 && !text.endsWith("\0")) throw new LaunchProtocolError("unterminated string in launch message");
  const parts = text.split("\0");
  parts.pop();
  return parts;
}

export function encodeLaunchRequest(req: LaunchRequest): Buffer {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  const body = nulJoin([req.self, req.cwd, String(req.argv.length), ...req.argv, String(env.length), ...env]);
  const head = Buffer.alloc(8);
  head.write(LAUNCH_TAG, 0, "latin1");
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

function takeCount(parts: string[], at: number): number {
  const raw = parts[at];
  const n = raw === undefined ? NaN : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > parts.length) throw new LaunchProtocolError(`bad count '${raw}'`);
  return n;
}

export function decodeLaunchBody(body: Buffer): LaunchRequest {
  const parts = splitNul(body);
  if (parts.length < 4) throw new LaunchProtocolError("launch message too short");
  const [self = "", cwd = ""] = parts;
  const argc = takeCount(parts, 2);
  const argv = parts.slice(3, 3 + argc);
  const envc = takeCount(parts, 3 + argc);
  const envParts = parts.slice(4 + argc, 4 + argc + envc);
  if (argv.length !== argc || envParts.length !== envc) throw new LaunchProtocolError("launch message truncated");
  const env: Record<string, string> = {};
  for (const kv of envParts) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { self, cwd, argv, env };
}

/** Push decoder for one launch request; bounded by MAX_LAUNCH_REQUEST. */
export class LaunchRequestDecoder {
  private chunks: Buffer[] = [];
  private size = 0;
  private expected = -1;

  /** Returns the request once complete, else undefined. Throws LaunchProtocolError. */
  push(chunk: Buffer): LaunchRequest | undefined {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const all = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
    this.chunks = [all];
    if (this.expected < 0) {
      if (all.length < 8) return undefined;
      if (all.toString("latin1", 0, 4) !== LAUNCH_TAG) throw new LaunchProtocolError("not a distcc-client launcher");
      this.expected = all.readUInt32BE(4);
      if (this.expected > MAX_LAUNCH_REQUEST) throw new LaunchProtocolError("launch request too large");
    }
    if (this.size < 8 + this.expected) return undefined;
    if (this.size > 8 + this.expected) throw new LaunchProtocolError("data after the launch request");
    return decodeLaunchBody(all.subarray(8));
  }
}

export type AgentFrame =
  | { type: "stdout"; data: Buffer }
  | { type: "stderr"; data: Buffer }
  | { type: "exit"; code: number }
  | { type: "run"; run: RunLocally };

const TYPE_BYTE = { stdout: 0x6f, stderr: 0x65, exit: 0x78, run: 0x72 } as const;

export function encodeFrame(frame: AgentFrame): Buffer[] {
  let body: Buffer;
  switch (frame.type) {
    case "stdout":
    case "stderr":
      body = frame.data;
      break;
    case "exit":
      body = Buffer.from(String(frame.code), "latin1");
      break;
    case "run": {
      const set = Object.entries(frame.run.setEnv).map(([k, v]) => `${k}=${v}`);
      body = nulJoin([frame.run.path, String(frame.run.argv.length), ...frame.run.argv, String(set.length), ...set]);
      break;
    }
  }
  const head = Buffer.alloc(5);
  head[0] = TYPE_BYTE[frame.type];
  head.writeUInt32BE(body.length, 1);
  return [head, body];
}

function decodeRun(body: Buffer): RunLocally {
  const parts = splitNul(body);
  const path = parts[0] ?? "";
  const argc = takeCount(parts, 1);
  const argv = parts.slice(2, 2 + argc);
  const setc = takeCount(parts, 2 + argc);
  const setEnv: Record<string, string> = {};
  for (const kv of parts.slice(3 + argc, 3 + argc + setc)) {
    const eq = kv.indexOf("=");
    if (eq > 0) setEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { path, argv, setEnv };
}

/** Push decoder for the agent's frames (used by the Node launcher and tests). */
export class AgentFrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): AgentFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: AgentFrame[] = [];
    for (;;) {
      if (this.pending.length < 5) break;
      const len = this.pending.readUInt32BE(1);
      if (len > MAX_FRAME) throw new LaunchProtocolError("agent frame too large");
      if (this.pending.length < 5 + len) break;
      const type = this.pending[0];
      const body = this.pending.subarray(5, 5 + len);
      this.pending = this.pending.subarray(5 + len);
      if (type === TYPE_BYTE.stdout) out.push({ type: "stdout", data: body });
      else if (type === TYPE_BYTE.stderr) out.push({ type: "stderr", data: body });
      else if (type === TYPE_BYTE.exit) out.push({ type: "exit", code: Number(body.toString("latin1")) });
      else if (type === TYPE_BYTE.run) out.push({ type: "run", run: decodeRun(body) });
      else throw new LaunchProtocolError(`unknown agent frame type ${type}`);
    }
    return out;
  }
}
