import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRequest } from "@x/distcc-protocol";
import { freePort, unprivilegedUser, waitForPort, waitFor } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";

// kill -9 of the server (the CLI, as root and as an unprivileged user, with and without the
// sandbox): its compilers must die with it, and the next server of the same temp dir removes the
// job folder it left.
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** Forty constexpr evaluations of ~6 s of CPU each: a compile that runs for minutes. */
function longCompile(): Uint8Array[] {
  let source = `constexpr unsigned long burn(unsigned long k) {
  unsigned long s = 0;
  for (unsigned long i = 0; i < 200000; i++)
    for (unsigned long j = 0; j < 200000; j++) s += i ^ j ^ k;
  return s;
}
`;
  for (let k = 0; k < 40; k++) source += `static_assert(burn(${k}) != 1, "");\n`;
  return encodeRequest({ version: 1, argv: ["g++", "-c", "long.cc", "-o", "long.o"], source: Buffer.from(source) });
}

/** Pids of the processes whose command line mentions `text` (the compilers of a job folder). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(text)) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function startCli(
  temp: string,
  cache: string,
  sandbox: string,
  user: { uid: number; gid: number } | undefined,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const args = [
    CLI,
    ...(user ? [] : ["--user", "root"]),
    "--listen",
    "127.0.0.1",
    "--port",
    String(port),
    "--temp-dir",
    temp,
    "--sandbox",
    sandbox,
  ];
  const child = spawn(process.execPath, args, {
    stdio: "ignore",
    cwd: "/",
    env: { ...process.env, XDG_CACHE_HOME: cache },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  await waitForPort(port);
  return { child, port };
}

const cases = [
  { who: "root", sandbox: "bwrap", user: undefined },
  { who: "root", sandbox: "none", user: undefined },
  { who: "the unprivileged user", sandbox: "bwrap", user: unprivilegedUser() },
  { who: "the unprivileged user", sandbox: "none", user: unprivilegedUser() },
];

describe.each(cases)("kill -9 of a server run as $who with --sandbox $sandbox", ({ sandbox, user }) => {
  it("its compilers die with it, and the next server of the same temp dir removes the job folder it left", async () => {
    const temp = mkdtempSync(join(tmpdir(), "distcc-leftovers-"));
    const cache = mkdtempSync(join(tmpdir(), "distcc-leftovers-cache-"));
    if (user) for (const d of [temp, cache]) chownSync(d, user.uid, user.gid);
    cleanups.push(() => {
      rmSync(temp, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    });

    const first = await startCli(temp, cache, sandbox, user);
    const socket: Socket = connect({ port: first.port, host: "127.0.0.1" }, () => {
      for (const part of longCompile()) socket.write(part);
    });
    socket.on("error", () => undefined);
    cleanups.push(() => socket.destroy());

    // The compile runs: a job folder of this server, and compilers working in it.
    const jobFolder = (): string[] =>
      readdirSync(temp).filter((n) => n.startsWith(`distcc-server-${first.child.pid}-`));
    await waitFor("the job folder of the first server", () => jobFolder().length === 1, { timeoutMs: 20_000 });
    const folder = join(temp, jobFolder()[0] as string);
    await waitFor("compilers working in the job folder", () => processesMentioning(`${folder}/`).length > 0, {
      timeoutMs: 20_000,
    });

    first.child.kill("SIGKILL");
    await waitFor("the compilers to die with their server", () => processesMentioning(`${folder}/`).length === 0, {
      timeoutMs: 10_000,
    });
    // The dead server's folder is still there...
    expect(readdirSync(temp)).toContain(jobFolder()[0]);

    // ...until the next server of this temp dir starts.
    const second = await startCli(temp, cache, sandbox, user);
    await waitFor("the next server to remove the folder left behind", () => readdirSync(temp).length === 0, {
      timeoutMs: 10_000,
    });
    second.child.kill("SIGTERM");
  });
});
