import { createServer, type Server, type Socket } from "node:net";
import type { AllowList } from "./allow-list.js";
import { renderDistccdStats, renderJsonStats, renderPrometheus } from "./stats-render.js";
import type { ServerStats } from "./stats.js";
import { collectSystemFigures } from "./system-figures.js";

const MAX_REQUEST = 8192;
const REQUEST_TIMEOUT_MS = 5000;

/** The path of an HTTP request line ("GET /metrics HTTP/1.1" -> "/metrics"); "/" if unreadable. */
function requestPath(head: string): string {
  const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? "/";
  return path.split("?")[0] ?? "/";
}

/**
 * Our own pages (`/json`, `/metrics`) are plain HTTP/1.0 with CRLF line ends and a length: strict
 * clients (undici, which `distcc-client mon` uses) refuse distccd's bare LF.
 */
function httpAnswer(type: string, body: string): string {
  return `HTTP/1.0 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * The `--stats` HTTP endpoint. Written on a raw socket, not node:http, because distccd's page must
 * be byte-compatible: HTTP/1.0, LF line ends, three headers, close. `/metrics` gives Prometheus text,
 * `/json` JSON (both with CRLF headers, see httpAnswer); every other path gives distccd's page (its
 * monitors fetch `/`).
 */
export function createStatsServer(opts: { stats: ServerStats; allow: AllowList; tempDir: string }): Server {
  const answer = async (socket: Socket, head: string): Promise<void> => {
    const path = requestPath(head);
    const [snapshot, sys] = [opts.stats.snapshot(), await collectSystemFigures(opts.tempDir)];
    if (path === "/metrics") {
      socket.end(httpAnswer("text/plain; version=0.0.4", renderPrometheus(snapshot, sys)));
    } else if (path === "/json" || path === "/stats.json") {
      socket.end(httpAnswer("application/json", renderJsonStats(snapshot, sys)));
    } else {
      socket.end(
        `HTTP/1.0 200 OK\nContent-Type: text/plain\nConnection: close\n\n${renderDistccdStats(snapshot, sys)}`,
      );
    }
  };

  return createServer((socket) => {
    socket.on("error", () => socket.destroy());
    if (!opts.allow.allows(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    let head = "";
    let answered = false;
    const go = (): void => {
      if (answered) return;
      answered = true;
      socket.setTimeout(0);
      answer(socket, head).catch(() => socket.destroy());
    };
    socket.setTimeout(REQUEST_TIMEOUT_MS, go);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      head += chunk;
      if (head.includes("\n\n") || head.includes("\r\n\r\n") || head.length >= MAX_REQUEST) go();
    });
    socket.on("end", go);
  });
}
