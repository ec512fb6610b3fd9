/**
 * The launcher <-> agent protocol on the agent's Unix socket (see native/launcher.c).
 *
 * Launcher -> agent: "DCL1" u32be(len) + NUL-terminated strings: self, cwd, argc, argv..., envc, env...
 * Agent -> launcher: frames [type u8][u32be len][body]: 'o' stdout, 'e' stderr, 'x' exit code (decimal),
 * 'r' run locally (NUL-terminated path, argc, argv..., setc, "K=V"...), 'p' run the preprocessor
 * (same fields, then the stdout file and the stderr file).
 * Launcher -> agent, after the request: frames 'c' = the preprocessor's exit code (decimal; 128+signal),
 * optionally a space and its CPU time in microseconds.
 *
 * Why the launcher runs the preprocessor: forking a small C process costs a fraction of what
 * spawning from the agent's (large) Node process costs, and that is client CPU on every job.
 */
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "./errors.js";

const LAUNCH_TAG = "DCL1";
/** A launch request carries argv and the environment: 8 MB is far beyond any real command line. */
const MAX_LAUNCH_REQUEST = 8 * 1024 * 1024;
const MAX_FRAME = 64 * 1024 * 1024;

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

export class LaunchProtocolError extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_LAUNCH_PROTOCOL", message, options);
  }
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

function decodeLaunchBody(body: Buffer): LaunchRequest {
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
  /** Bytes that followed the request (the launcher's replies), for the reply decoder. */
  rest: Buffer = Buffer.alloc(0);

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
    this.rest = all.subarray(8 + this.expected);
    return decodeLaunchBody(all.subarray(8, 8 + this.expected));
  }
}

/** Push decoder for the launcher's replies ('c' frames), after its request. */
export class LauncherReplyDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): LauncherReply[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: LauncherReply[] = [];
    while (this.pending.length >= 5) {
      const len = this.pending.readUInt32BE(1);
      if (len > 64) throw new LaunchProtocolError("launcher reply too large");
      if (this.pending.length < 5 + len) break;
      if (this.pending[0] !== CPP_STATUS) throw new LaunchProtocolError(`unknown launcher reply ${this.pending[0]}`);
      // "CODE" or "CODE CPU_US" (the preprocessor's CPU time, its children included).
      const [codeText, cpuText, ...rest] = this.pending
        .subarray(5, 5 + len)
        .toString("latin1")
        .split(" ");
      const code = Number(codeText);
      const cpuUs = cpuText === undefined ? undefined : Number(cpuText);
      if (
        !Number.isInteger(code) ||
        rest.length > 0 ||
        (cpuUs !== undefined && !(Number.isInteger(cpuUs) && cpuUs >= 0))
      ) {
        throw new LaunchProtocolError("bad preprocessor status");
      }
      out.push(cpuUs === undefined ? { type: "cpp-status", code } : { type: "cpp-status", code, cpuMs: cpuUs / 1000 });
      this.pending = this.pending.subarray(5 + len);
    }
    return out;
  }
}

/** "Run the preprocessor, its stdout into `outFile`, its stderr into `errFile`, and tell me the status." */
export interface Preprocess extends RunLocally {
  outFile: string;
  errFile: string;
}

export type AgentFrame =
  | { type: "stdout"; data: Buffer }
  | { type: "stderr"; data: Buffer }
  | { type: "exit"; code: number }
  | { type: "run"; run: RunLocally }
  | { type: "preprocess"; run: Preprocess };

/**
 * What a launcher says after its request: the preprocessor's status and, when the launcher measured
 * it, its CPU time (user + system, children included).
 */
export type LauncherReply = { type: "cpp-status"; code: number; cpuMs?: number };

const TYPE_BYTE = { stdout: 0x6f, stderr: 0x65, exit: 0x78, run: 0x72, preprocess: 0x70 } as const;
const CPP_STATUS = 0x63;

export function encodeLauncherReply(reply: LauncherReply): Buffer {
  const text = reply.cpuMs === undefined ? String(reply.code) : `${reply.code} ${Math.round(reply.cpuMs * 1000)}`;
  const body = Buffer.from(text, "latin1");
  const head = Buffer.alloc(5);
  head[0] = CPP_STATUS;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function runFields(run: RunLocally): string[] {
  const set = Object.entries(run.setEnv).map(([k, v]) => `${k}=${v}`);
  return [run.path, String(run.argv.length), ...run.argv, String(set.length), ...set];
}

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
    case "run":
      body = nulJoin(runFields(frame.run));
      break;
    case "preprocess":
      body = nulJoin([...runFields(frame.run), frame.run.outFile, frame.run.errFile]);
      break;
  }
  const head = Buffer.alloc(5);
  head[0] = TYPE_BYTE[frame.type];
  head.writeUInt32BE(body.length, 1);
  return [head, body];
}

function decodeRunParts(parts: string[]): { run: RunLocally; next: number } {
  const path = parts[0] ?? "";
  const argc = takeCount(parts, 1);
  const argv = parts.slice(2, 2 + argc);
  const setc = takeCount(parts, 2 + argc);
  const setEnv: Record<string, string> = {};
  for (const kv of parts.slice(3 + argc, 3 + argc + setc)) {
    const eq = kv.indexOf("=");
    if (eq > 0) setEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { run: { path, argv, setEnv }, next: 3 + argc + setc };
}

function decodeRun(body: Buffer): RunLocally {
  return decodeRunParts(splitNul(body)).run;
}

function decodePreprocess(body: Buffer): Preprocess {
  const parts = splitNul(body);
  const { run, next } = decodeRunParts(parts);
  return { ...run, outFile: parts[next] ?? "", errFile: parts[next + 1] ?? "" };
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
      else if (type === TYPE_BYTE.preprocess) out.push({ type: "preprocess", run: decodePreprocess(body) });
      else throw new LaunchProtocolError(`unknown agent frame type ${type}`);
    }
    return out;
  }
}
