import { spawn, type ChildProcess } from "node:child_process";

/**
 * A loopback port where a connection is never made (SYNs dropped), as for a helper behind a firewall
 * or a machine that is off. Node accepts every connection itself, so a small python3 (installed by
 * scripts/setup.sh) listens with a backlog of 0 and never accepts, after filling that backlog.
 */
export async function silentPort(): Promise<{ port: number; close(): void }> {
  const script = [
    "import socket, sys, time",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    "port = s.getsockname()[1]",
    "fill = []",
    "for _ in range(3):",
    "    c = socket.socket(); c.setblocking(False)",
    "    try: c.connect(('127.0.0.1', port))",
    "    except BlockingIOError: pass",
    "    fill.append(c)",
    "time.sleep(0.2)",
    "print(port, flush=True)",
    "sys.stdin.read()",
  ].join("\n");
  const child: ChildProcess = spawn("python3", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`python3 left with ${code} before listening`)));
    child.stdout!.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim())));
  });
  return {
    port,
    close: () => {
      child.stdin!.end();
      child.kill("SIGTERM");
    },
  };
}
