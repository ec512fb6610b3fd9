// A job's processes and memory are bounded as a whole (attacker report A10: one job ran 161
// processes and took +4.5 GB): a cgroup per job where the server can make one, else RLIMIT_NPROC.
// The "compilers" are stand-ins the server was told about (DISTCC_CMDLIST), i.e. code that runs in
// the sandbox exactly where a client's code would if it ever got to run there.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sendCompileRequest } from "@x/distcc-protocol";
import { unprivilegedUser, waitFor } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCliServer, startTestServer, type TestServer } from "./helpers.js";

const user = unprivilegedUser();
let dir: string;

// 500 processes that stay (a fork bomb that would otherwise hold them until --job-lifetime).
const FORK_BOMB = "#!/bin/sh\ni=0\nwhile [ $i -lt 500 ]; do sleep 60.4242 & i=$((i+1)); done\nwait\n";
// Three processes of 150 MB each: each one is far under --max-compiler-memory, together past 256 MiB.
const MEMORY_HOG = `#!/usr/bin/python3
import os, sys, time
kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(b"x") * (150 << 20)
        time.sleep(3)
        os._exit(0)
    kids.append(pid)
sys.exit(1 if any(os.waitpid(k, 0)[1] for k in kids) else 0)
`;
const CALM = "#!/bin/sh\necho calm\nexit 0\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "job-bounds-"));
  chmodSync(dir, 0o755);
  for (const [name, text] of [
    ["fork-bomb-cc", FORK_BOMB],
    ["memory-hog-cc", MEMORY_HOG],
    ["calm-cc", CALM],
  ] as const) {
    writeFileSync(join(dir, name), text, { mode: 0o755 });
  }
  writeFileSync(
    join(dir, "list"),
    `${["fork-bomb-cc", "memory-hog-cc", "calm-cc"].map((c) => join(dir, c)).join("\n")}\n`,
    { mode: 0o644 },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = (compiler: string) => ({
  version: 1 as const,
  argv: [compiler, "-c", "x.i", "-o", "x.o"],
  source: Buffer.from("int x;\n"),
});
const send = (port: number, compiler: string) =>
  sendCompileRequest({ host: "127.0.0.1", port }, request(compiler), { connectTimeoutMs: 5000, ioTimeoutMs: 60_000 });

/** Processes of the fork bomb still alive anywhere on the machine. */
function bombSleepers(): number {
  let n = 0;
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8") === "sleep\u000060.4242\u0000") n++;
    } catch {
      // exited while we looked
    }
  }
  return n;
}

/** This machine's cgroup places for pids (v1 or v2), to check nothing of ours is left there. */
function serverCgroups(pid: number): string[] {
  const found: string[] = [];
  for (const root of ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/memory", "/sys/fs/cgroup"]) {
    if (!existsSync(root)) continue;
    const walk = (d: string, depth: number): void => {
      let names: string[] = [];
      try {
        names = readdirSync(d);
      } catch {
        return; // unreadable part of the tree: not ours
      }
      for (const n of names) {
        if (n.startsWith(`distcc-server-${pid}-`)) found.push(join(d, n));
        else if (depth < 3 && !n.includes(".")) walk(join(d, n), depth + 1);
      }
    };
    walk(root, 0);
  }
  return found;
}

describe("a job is bounded as a whole, server started as root (in-process)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      whitelist: undefined,
      cmdList: { file: join(dir, "list") },
      sandbox: "bwrap",
      jobBounds: { processes: 64, memoryMiB: 256 },
    });
  });
  afterAll(async () => srv?.stop());

  it("says which bound is active, at start and in the stats", () => {
    const kind = srv.server.stats().jobBounds?.kind;
    // This machine (root, cgroup v1 pids and memory controllers) can make cgroups.
    expect(kind === "cgroup-v1" || kind === "cgroup-v2").toBe(true);
    expect(srv.server.stats().jobBounds).toMatchObject({ processes: 64, memoryMiB: 256 });
    expect(
      srv.lines.some((l) =>
        /^notice \(main\) each job runs in a cgroup of its own \(cgroup-v[12]\): at most 64 processes and 256 MiB together/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it("a fork bomb of 500 processes stops at 64 with a clear error, nothing of it stays, the server keeps serving", async () => {
    const r = await send(srv.port, "fork-bomb-cc");
    expect(r.status).not.toBe(0);
    expect(Buffer.from(r.stderr).toString()).toContain("--max-job-processes (64 processes at once)");
    await waitFor("the fork bomb's processes to be gone", () => bombSleepers() === 0);
    expect((await send(srv.port, "calm-cc")).status).toBe(0);
  });

  it("three processes of 150 MB (each under its own limit) end at the job's 256 MiB with a clear error", async () => {
    const r = await send(srv.port, "memory-hog-cc");
    expect(r.status).not.toBe(0);
    expect(Buffer.from(r.stderr).toString()).toContain("--max-job-memory is 256 MiB for all its processes together");
    const ok = await send(srv.port, "calm-cc");
    expect(ok.status).toBe(0);
    expect(Buffer.from(ok.stdout).toString()).toBe("calm\n");
  });

  it("its cgroups are removed when the server stops", async () => {
    expect(serverCgroups(process.pid).length).toBeGreaterThan(0);
    await srv.stop();
    expect(serverCgroups(process.pid)).toEqual([]);
  });
});

/** The CLI server with the fork bomb's list; `asUser`: started as that user instead of root. */
function cliServer(extra: string[], asUser?: { uid: number; gid: number }) {
  return startCliServer(["--sandbox", "bwrap", "--jobs", "1", "--max-job-processes", "64", ...extra], {
    env: { DISTCC_CMDLIST: join(dir, "list") },
    ...(asUser ? { asUser } : {}),
  });
}

describe("as the unprivileged user", () => {
  it("started as root with --user: the job cgroups are handed to that user and hold", async () => {
    const s = await cliServer(["--user", user.name]);
    try {
      expect(s.json.jobBounds).toMatchObject({ kind: expect.stringMatching(/^cgroup-v[12]$/) });
      const r = await send(s.port, "fork-bomb-cc");
      expect(r.status).not.toBe(0);
      expect(Buffer.from(r.stderr).toString()).toContain("--max-job-processes (64 processes at once)");
      expect((await send(s.port, "calm-cc")).status).toBe(0);
    } finally {
      await s.stop();
    }
  });

  it("started as that user (no cgroup it may make): RLIMIT_NPROC bounds the fork bomb", async () => {
    const s = await cliServer([], user);
    try {
      expect(s.json.jobBounds).toMatchObject({ kind: "rlimit-nproc" });
      const r = await send(s.port, "fork-bomb-cc");
      expect(r.status).not.toBe(0);
      // 64 per job x 1 job + 64 for the server's own threads.
      expect(Buffer.from(r.stderr).toString()).toContain("RLIMIT_NPROC is 128 processes of the server's user");
      // The count is the user's, shared by all jobs: the next job forks once the bomb's are gone.
      await waitFor("the fork bomb's processes to be gone", () => bombSleepers() === 0);
      const calm = await send(s.port, "calm-cc");
      expect(Buffer.from(calm.stderr).toString()).toBe("");
      expect(calm.status).toBe(0);
    } finally {
      await s.stop();
    }
  });
});
