import type { Agent } from "./http-client.js";
import { z } from "zod";
import type { StatsTarget } from "./stats-targets.js";

/**
 * The figures of a helper's `/json` (distcc-server `--stats`, docs/server.md) that the farm view
 * shows. Parsed, never trusted: the answer comes from another machine. Other keys are ignored, so a
 * newer server with more figures still reads.
 */
export const serverStatsSchema = z.object({
  uptimeSeconds: z.number().nonnegative(),
  running: z.number().int().nonnegative(),
  queued: z.number().int().nonnegative(),
  /** Compile slots (--jobs). */
  maxKids: z.number().int().nonnegative(),
  perCompiler: z.record(z.string().max(512), z.object({ jobs: z.number().int().nonnegative() })),
  system: z.object({ loadAverage: z.tuple([z.number(), z.number(), z.number()]) }),
});
export type ServerStatsFigures = z.infer<typeof serverStatsSchema>;

/** What asking one helper gave. */
export type FarmAnswer =
  | { readonly kind: "figures"; readonly figures: ServerStatsFigures }
  /** Nothing answered in time, or the connection failed: the helper (or its stats) is not reachable. */
  | { readonly kind: "unreachable"; readonly why: string }
  /** Something answered, but not with our server's `/json`. */
  | { readonly kind: "bad-answer"; readonly why: string };

export interface FarmRow {
  readonly target: StatsTarget;
  /** Undefined while the first question is still out (live view). */
  readonly answer?: FarmAnswer;
}

export interface FarmFetchOptions {
  /** Per helper, from connect to the last byte (default 1500 ms): a stalled helper never holds the view. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A page bigger than this is not a stats page (ours is ~2 KiB; 200 compiler names at most). */
const MAX_BODY_BYTES = 256 * 1024;

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

const CONNECT_FAILURES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "host name lookup failed",
  UND_ERR_SOCKET: "connection closed",
};
const TIMEOUTS = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function oneLine(text: string, max = 100): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Reads a body up to MAX_BODY_BYTES; undefined when it is bigger (the rest is not read). */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Judges what a helper sent: our `/json`, or why not. */
export function judgeStatsBody(status: number, body: string | undefined): FarmAnswer {
  if (status !== 200) return { kind: "bad-answer", why: `HTTP ${status}` };
  if (body === undefined) return { kind: "bad-answer", why: `an answer over ${MAX_BODY_BYTES / 1024} KiB` };
  // distccd (and our server on any other path) answer every path with distccd's page.
  if (body.includes("<distccstats>"))
    return { kind: "bad-answer", why: "distccd's stats page, no /json (not our server?)" };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { kind: "bad-answer", why: `not JSON (${oneLine((err as Error).message, 60)})` };
  }
  const parsed = serverStatsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return {
      kind: "bad-answer",
      why: `not a distcc-server /json (${oneLine(`${where}${issue?.message ?? "unexpected"}`, 60)})`,
    };
  }
  return { kind: "figures", figures: parsed.data };
}

async function askOne(
  target: StatsTarget,
  dispatcher: Agent,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<FarmAnswer> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const noAnswer: FarmAnswer = { kind: "unreachable", why: `no answer in ${(timeoutMs / 1000).toFixed(1)} s` };
  try {
    const { request } = await import("./http-client.js");
    const res = await request(target.url, { dispatcher, signal: both, headers: { accept: "application/json" } });
    return judgeStatsBody(res.statusCode, await readCapped(res.body));
  } catch (err) {
    if (signal?.aborted) throw err;
    const code = errorCode(err);
    if (deadline.aborted || (code !== undefined && TIMEOUTS.has(code))) return noAnswer;
    if (code !== undefined && CONNECT_FAILURES[code] !== undefined)
      return { kind: "unreachable", why: CONNECT_FAILURES[code] };
    // A parser error (not HTTP), a TLS failure, ...: something answered, wrongly.
    return { kind: "bad-answer", why: oneLine((err as Error).message, 80) };
  }
}

/**
 * Asks every helper for its `/json` at once; each answer, or why there is none, within `timeoutMs`
 * (a helper that accepts and never answers costs the view that long, once, not per helper).
 * Never throws for a helper's fault; only the caller's `signal` ends it early (AbortError).
 */
export async function fetchFarmStats(targets: readonly StatsTarget[], opts: FarmFetchOptions = {}): Promise<FarmRow[]> {
  const timeoutMs = opts.timeoutMs ?? 1500;
  // Loaded here, not at the top: the CLI that loads this module also starts every compile, which
  // must not pay for parsing an HTTP client (http-client.ts). One pool per round, closed after it: no keep-alive
  // socket holds `mon --once` from exiting.
  const { Agent } = await import("./http-client.js");
  const dispatcher = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    return await Promise.all(
      targets.map(async (target) => ({ target, answer: await askOne(target, dispatcher, timeoutMs, opts.signal) })),
    );
  } finally {
    await dispatcher.destroy();
  }
}
