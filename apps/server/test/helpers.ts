import { execFile, spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort, makeTempDir, unprivilegedUser, waitFor, waitForPort, WaitTimeoutError } from "@x/testkit";
import { ToolchainIndex } from "@x/distcc-toolchain";
import { startServer, type DistccServer, type ServerOptions } from "../src/index.js";
import type { Logger } from "../src/logger.js";
import type { LogLevel } from "../src/settings.js";
import type { JobSummary } from "../src/job-result.js";

const execFileP = promisify(execFile);

let sharedIndex: Promise<ToolchainIndex> | undefined;
/** One discovery per test file (probing every compiler takes a moment). */
export function toolchainIndex(): Promise<ToolchainIndex> {
  sharedIndex ??= ToolchainIndex.discover({});
  return sharedIndex;
}

export interface TestServer {
  server: DistccServer;
  port: number;
  hosts: string;
  tempDir: string;
  lines: string[];
  jobs: JobSummary[];
  /** Files and folders left in the server's temp dir once its jobs are done (waits up to 3 s). */
  leftovers(): Promise<string[]>;
  stop(): Promise<void>;
}

/** Our server on 127.0.0.1, a free port, its own temp dir, every log line kept. */
export async function startTestServer(options: ServerOptions = {}): Promise<TestServer> {
  const temp = makeTempDir("distcc-server-test-");
  const lines: string[] = [];
  const jobs: JobSummary[] = [];
  const logger: Logger = {
    enabled: () => true,
    log: (level: LogLevel, fn: string, message: string) => lines.push(`${level} (${fn}) ${message}`),
  };
  const server = await startServer({
    port: 0,
    listen: "127.0.0.1",
    tempDir: temp.path,
    logger,
    whitelist: await toolchainIndex(),
    jobs: 4,
    onJob: (j) => jobs.push(j),
    ...options,
  });
  const port = server.address.port;
  return {
    server,
    port,
    hosts: `127.0.0.1:${port}`,
    tempDir: temp.path,
    lines,
    jobs,
    leftovers: async () => {
      // A real client has its answer (and exits) before the server has removed the job's folder.
      // Not there in time: the caller's expect shows what stayed.
      await waitFor("the job folders to be removed", () => readdirSync(temp.path).length === 0).catch(
        (err: unknown) => {
          if (!(err instanceof WaitTimeoutError)) throw err;
        },
      );
      return readdirSync(temp.path);
    },
    async stop() {
      await server.close({ graceMs: 2000 });
      temp.remove();
    },
  };
}

/** A scratch folder for a client (world-readable) with a fresh DISTCC_DIR. */
export function clientDir(): { path: string; distccDir: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "distcc-client-test-"));
  chmodSync(path, 0o755);
  const distccDir = join(path, ".distcc-state");
  mkdirSync(distccDir);
  return { path, distccDir, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (the server lives in this process: never block the event loop). */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The environment for Debian's distcc client: our server only, no silent local fallback. */
export function distccEnv(hosts: string, distccDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DISTCC_HOSTS: hosts,
    DISTCC_FALLBACK: "0",
    DISTCC_DIR: distccDir,
    DISTCC_BACKOFF_PERIOD: "0",
    LC_ALL: "C.UTF-8",
    ...extra,
  };
}

/** `objdump -d` without the line naming the file (which differs between the two objects). */
export async function disassembly(object: string, cwd: string): Promise<string> {
  const r = await run("objdump", ["-d", object], { cwd });
  if (r.code !== 0) throw new Error(`objdump failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => !l.includes("file format"))
    .join("\n");
}

/** Sends raw request bytes and collects everything the server sends until it closes. */
export function exchange(
  port: number,
  request: Uint8Array | Uint8Array[],
  opts: { halfClose?: boolean; host?: string; localAddress?: string } = {},
): Promise<{ bytes: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({
      port,
      host: opts.host ?? "127.0.0.1",
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    let error: string | undefined;
    socket.on("connect", () => {
      for (const part of Array.isArray(request) ? request : [request]) socket.write(part);
      if (opts.halfClose) socket.end();
    });
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    socket.on("close", () => resolve({ bytes: Buffer.concat(chunks), ...(error ? { error } : {}) }));
  });
}

/** Diagnostic lines (`file:line:col: error: ...`), without the source excerpts gcc adds when it can read the file. */
export function diagnosticLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /^[^ ]+:\d+:\d+: (error|warning|note):/.test(l));
}

/** Waits until the server has recorded more than `count` jobs; returns the newest. */
export async function jobAfter(srv: TestServer, count: number): Promise<JobSummary> {
  return waitFor(
    `the server to record job ${count + 1}`,
    () => (srv.jobs.length > count ? srv.jobs.at(-1) : undefined),
    { intervalMs: 10 },
  );
}

/** A plain HTTP/1.0 GET on 127.0.0.1 (the stats port), the whole answer with its headers. */
export function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect({ port, host: "127.0.0.1" }, () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (text += d));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}

const SERVER_CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export interface CliServer {
  port: number;
  statsPort: number;
  /** Its --temp-dir, owned by the unprivileged user. */
  tempDir: string;
  /** The stats page's /json once the server was up. */
  json: Record<string, unknown>;
  /** SIGTERM, wait for the exit, remove its folders. */
  stop(): Promise<void>;
}

/**
 * The CLI server (dist/cli.js) on 127.0.0.1 with --stats, `args` after those flags. Its --temp-dir
 * and its compiler-probe cache (XDG_CACHE_HOME) are fresh folders owned by the unprivileged user, so
 * that the server may run as that user: started as `asUser` when given, else as root (which may
 * drop to a `--user`). Resolves once both ports answer; a server whose start could not be checked is
 * stopped.
 */
export async function startCliServer(
  args: string[],
  opts: { asUser?: { uid: number; gid: number }; env?: NodeJS.ProcessEnv } = {},
): Promise<CliServer> {
  const owner = unprivilegedUser();
  const tempDir = mkdtempSync(join(tmpdir(), "distcc-cli-server-"));
  const cache = mkdtempSync(join(tmpdir(), "distcc-cli-server-cache-"));
  for (const d of [tempDir, cache]) chownSync(d, owner.uid, owner.gid);
  const [port, statsPort] = [await freePort(), await freePort()];
  const child = spawn(
    process.execPath,
    [
      SERVER_CLI,
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--stats",
      "--stats-port",
      String(statsPort),
      "--temp-dir",
      tempDir,
      ...args,
    ],
    {
      stdio: "ignore",
      cwd: "/",
      env: { ...process.env, XDG_CACHE_HOME: cache, ...opts.env },
      ...(opts.asUser ? { uid: opts.asUser.uid, gid: opts.asUser.gid } : {}),
    },
  );
  const stop = async (): Promise<void> => {
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
    rmSync(tempDir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  };
  try {
    await waitForPort(port);
    await waitForPort(statsPort);
    const page = await httpGet(statsPort, "/json");
    const json = JSON.parse(page.split("\r\n\r\n").slice(1).join("\r\n\r\n")) as Record<string, unknown>;
    return { port, statsPort, tempDir, json, stop };
  } catch (err) {
    // Never leave the server running when its start could not be checked.
    await stop();
    throw err;
  }
}
