import { execFile } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unprivilegedUser } from "@x/testkit";
import { describe, expect, it } from "vitest";

// The spawn layer under attack: a shell and gcc run through the sandbox and the limits a compile
// gets (test/fixtures/sandbox-probe.mjs), as root and as an unprivileged user, against the built
// library (run `pnpm build` first).
const here = dirname(fileURLToPath(import.meta.url));
const PROBE = join(here, "fixtures", "sandbox-probe.mjs");
const DIST = join(here, "..", "dist", "index.js");

interface ProbeResult {
  shell: { status: number; end: string; stderr: string };
  [key: string]: unknown;
  memory: { status: number; end: string; stderr: string };
  cpu: { status: number; end: string; stderr: string };
  ok: { status: number; stderr: string; object: boolean };
}

async function probe(user?: { uid: number; gid: number }): Promise<{ result: ProbeResult; connections: number }> {
  const temp = mkdtempSync(join(tmpdir(), "distcc-sandbox-test-"));
  if (user) chownSync(temp, user.uid, user.gid);
  chmodSync(temp, 0o700);
  // Something listens on the host's loopback: the sandbox must not reach it.
  let connections = 0;
  const listener = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as AddressInfo).port;
  const mark = `4242.${process.pid}${Math.floor(Math.random() * 1e6)}`;
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [PROBE, DIST, temp, String(port), mark],
        { cwd: "/", timeout: 120_000, ...(user ? { uid: user.uid, gid: user.gid } : {}) },
        (err, out, errText) => (err ? reject(new Error(`${err.message}\n${errText}`)) : resolve(out)),
      );
    });
    return { result: JSON.parse(stdout) as ProbeResult, connections };
  } finally {
    listener.close();
    rmSync(temp, { recursive: true, force: true });
  }
}

const users = [
  { name: "the server's user (root here)", user: undefined },
  { name: "the unprivileged user", user: unprivilegedUser() },
];

describe.each(users)("bubblewrap sandbox at the spawn layer, as $name", ({ user }) => {
  it("keeps a compile in its job folder: no writes outside, no other jobs, no server files, no network, nothing left running; limits end bombs with a clear error", async () => {
    const { result: r, connections } = await probe(user);
    expect(r.shell).toMatchObject({ status: 0, end: "exited" });
    // The system is read-only.
    expect(r.etc_writable).toBe("no");
    expect(r.usr_writable).toBe("no");
    // Its own folder is writable, and what it writes there is really there.
    expect(r.own_writable).toBe("yes");
    expect(r.made).toBe(true);
    // The server's temp dir is an empty tmpfs with only this job's folder in it: another job's
    // files and the server's are not there, and a write there never reaches the real one.
    expect(r.other_job_visible).toBe("no");
    expect(r.server_file_visible).toBe("no");
    expect(
      String(r.temp_listing)
        .split(" ")
        .filter((n) => n.startsWith("distcc-server-")),
    ).toHaveLength(1);
    expect(r.intruder).toBe(false);
    // /run (sockets) is empty; no network but its own loopback, which reaches nothing of the host.
    expect(r.run_listing).toBe("");
    // /tmp and /dev/shm in there are small: writing there cannot fill the host's memory.
    expect(r.tmp_fill).toBe("no");
    expect(r.shm_fill).toBe("no");
    expect(r.interfaces).toBe("lo");
    expect(r.connect).not.toBe("connected");
    expect(connections).toBe(0);
    // Its own PID namespace: it sees a handful of processes, not the host's.
    expect(Number(r.processes)).toBeLessThan(10);
    // A child detached with setsid ran, and is gone once the job ended.
    expect(r.detached_seen).toBe("yes");
    expect(r.detachedLeft).toBe(0);
    // Memory bomb: cc1 hits RLIMIT_AS, gcc fails, the note names the limit.
    expect(r.memory.status).not.toBe(0);
    expect(r.memory.stderr).toMatch(/memory exhausted|out of memory/);
    expect(r.memory.stderr).toContain("--max-compiler-memory is 128 MiB");
    // CPU bomb: SIGXCPU after 1 s of CPU time.
    expect(r.cpu.end).toBe("signaled");
    expect(r.cpu.status & 0x7f).toBe(24); // SIGXCPU
    expect(r.cpu.stderr).toContain("--max-compiler-cpu is 1 s");
    // And a normal compile still works in there, from a sub-folder, writing to ../output.o.
    expect(r.ok).toMatchObject({ status: 0, stderr: "", object: true });
  });
});
