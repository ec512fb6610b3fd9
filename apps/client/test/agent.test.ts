import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, waitFor, type DistccdHandle } from "@x/testkit";
import { agentPaths, makeCompilerLinks, packageFiles } from "../dist/index.js";
import { clientEnv, distccdJobs, run, stopAgent, waitForJobs } from "./helpers.js";

function startAgentProcess(env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [packageFiles().agentScript], { env, stdio: "ignore" });
  return { child, exited: new Promise((r) => child.once("exit", (code) => r(code))) };
}

describe("the resident agent", () => {
  const tmp = makeTempDir("client-agent-");
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  let server: DistccdHandle;

  beforeAll(async () => {
    server = await startDistccd({ jobs: 2 });
  });
  afterAll(async () => {
    for (const d of dirs) await stopAgent(d);
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await server?.stop();
    tmp.remove();
  });

  function stateDir(name: string): string {
    const d = join(tmp.path, name);
    dirs.push(d);
    return d;
  }

  it("two agents started at once: one serves, the other leaves cleanly; socket 0600 in a 0700 dir", async () => {
    const dir = stateDir("race");
    const env = clientEnv(dir, server.host, { DISTCC_AGENT_IDLE_TIMEOUT: "30" });
    const a = startAgentProcess(env);
    const b = startAgentProcess(env);
    children.push(a.child, b.child);
    const first = await Promise.race([a.exited, b.exited]);
    expect(first).toBe(0);
    const paths = agentPaths(env);
    await waitFor("the winning agent's socket", () => existsSync(paths.socketPath), { timeoutMs: 10_000 });
    expect(statSync(paths.socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(paths.agentDir).mode & 0o777).toBe(0o700);
    const alive = [a.child, b.child].filter((c) => c.exitCode === null);
    expect(alive).toHaveLength(1);
  });

  it("a stale socket file (its agent died) is recovered", async () => {
    const dir = stateDir("stale");
    const env = clientEnv(dir, server.host);
    const paths = agentPaths(env);
    mkdirSync(paths.agentDir, { recursive: true, mode: 0o700 });
    // A socket file nobody listens on: bind in a child that is then killed.
    const holder = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(paths.socketPath)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    await new Promise((r) => holder.once("exit", r));
    expect(existsSync(paths.socketPath)).toBe(true);
    const a = startAgentProcess(env);
    children.push(a.child);
    await waitFor("the new agent's pid file", () => statSync(join(paths.agentDir, "agent.pid")).isFile(), {
      timeoutMs: 10_000,
    });
    writeFileSync(join(tmp.path, "stale.c"), "int s(void) { return 1; }\n");
    const r = await run(process.execPath, [packageFiles().cliScript, "gcc", "-c", "stale.c", "-o", "stale.o"], {
      cwd: tmp.path,
      env: { ...env, DISTCC_FALLBACK: "0" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(a.child.exitCode).toBe(null);
  });

  it("agent status / agent stop", async () => {
    const dir = stateDir("control");
    const env = clientEnv(dir, server.host);
    const cli = packageFiles().cliScript;
    expect((await run(process.execPath, [cli, "agent", "status"], { cwd: tmp.path, env })).code).toBe(1);
    const a = startAgentProcess(env);
    children.push(a.child);
    await waitFor("the agent's pid file", () => existsSync(join(agentPaths(env).agentDir, "agent.pid")), {
      timeoutMs: 10_000,
    });
    const status = await run(process.execPath, [cli, "agent", "status"], { cwd: tmp.path, env });
    expect(status.stdout).toContain(String(a.child.pid));
    const stop = await run(process.execPath, [cli, "agent", "stop"], { cwd: tmp.path, env });
    expect(stop.code).toBe(0);
    expect(await a.exited).toBe(0);
    expect(existsSync(agentPaths(env).socketPath)).toBe(false);
  });

  it("leaves when idle and removes its socket", async () => {
    const dir = stateDir("idle");
    const env = clientEnv(dir, server.host, { DISTCC_AGENT_IDLE_TIMEOUT: "0.3" });
    const a = startAgentProcess(env);
    children.push(a.child);
    expect(await a.exited).toBe(0);
    expect(existsSync(agentPaths(env).socketPath)).toBe(false);
  });

  it("the Node launcher starts the agent on demand and compiles remotely", async () => {
    const dir = stateDir("node-launcher");
    const env = clientEnv(dir, server.host, { DISTCC_FALLBACK: "0" });
    writeFileSync(join(tmp.path, "nl.c"), "int nl(void) { return 2; }\n");
    const before = distccdJobs(server.log()).ok;
    const r = await run(process.execPath, [packageFiles().cliScript, "gcc", "-c", "nl.c", "-o", "nl.o"], {
      cwd: tmp.path,
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await waitForJobs(server.log, { ok: before + 1 })).ok).toBe(before + 1);
  });

  it("summary and mon right after a compile count it (the running agent writes its status when asked)", async () => {
    const dir = stateDir("summary-now");
    const env = clientEnv(dir, server.host, { DISTCC_FALLBACK: "0" });
    writeFileSync(join(tmp.path, "sn.c"), "int sn(void) { return 3; }\n");
    const cli = packageFiles().cliScript;
    for (const n of [1, 2]) {
      const r = await run(process.execPath, [cli, "gcc", "-c", "sn.c", "-o", "sn.o"], { cwd: tmp.path, env });
      expect(r.code, r.stderr).toBe(0);
      // No waiting: the agent's own timer would write its file up to 250 ms later.
      const summary = await run(process.execPath, [cli, "summary"], { cwd: tmp.path, env });
      expect(summary.stdout, summary.stderr).toMatch(new RegExp(`^${n} of ${n} jobs? compiled`, "m"));
    }
    const mon = await run(process.execPath, [cli, "mon", "--once"], { cwd: tmp.path, env });
    expect(mon.stdout).not.toContain("no longer running");
  });

  it("without any C compiler, links falls back to the Node launcher, which works", async () => {
    const links = join(tmp.path, "links-node");
    const result = makeCompilerLinks(links, { PATH: "/nonexistent", CC: "" });
    expect(result.launcher).toBe("node");
    const dir = stateDir("no-cc");
    const env = clientEnv(dir, server.host, { DISTCC_FALLBACK: "0" });
    writeFileSync(join(tmp.path, "nocc.c"), "int nocc(void) { return 3; }\n");
    const r = await run(result.launcherPath, ["gcc", "-c", "nocc.c", "-o", "nocc.o"], { cwd: tmp.path, env });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(tmp.path, "nocc.o"))).toBe(true);
  });

  it("an unreachable agent directory still compiles locally", async () => {
    const links = join(tmp.path, "links-native");
    const { launcherPath } = makeCompilerLinks(links, process.env);
    // DISTCC_DIR is a regular file: no agent can live there.
    const bogus = join(tmp.path, "not-a-dir");
    writeFileSync(bogus, "");
    writeFileSync(join(tmp.path, "loc.c"), "int loc(void) { return 4; }\n");
    const r = await run(launcherPath, ["gcc", "-c", "loc.c", "-o", "loc.o"], {
      cwd: tmp.path,
      env: clientEnv(bogus, server.host),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("compiling locally");
    expect(existsSync(join(tmp.path, "loc.o"))).toBe(true);
  });

  it("the Node launcher too: an unreachable agent directory still compiles locally, with a message", async () => {
    const bogus = join(tmp.path, "not-a-dir-node");
    writeFileSync(bogus, "");
    writeFileSync(join(tmp.path, "locn.c"), "int locn(void) { return 5; }\n");
    const r = await run(process.execPath, [packageFiles().cliScript, "gcc", "-c", "locn.c", "-o", "locn.o"], {
      cwd: tmp.path,
      env: clientEnv(bogus, server.host),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("cannot reach or start the agent");
    expect(r.stderr).toContain("compiling locally");
    expect(existsSync(join(tmp.path, "locn.o"))).toBe(true);
  });

  it("client commands: --version, --show-hosts, -j, --help", async () => {
    const env = clientEnv(stateDir("cmds"), "a/3 b:4000/2,lzo localhost/1");
    const cli = packageFiles().cliScript;
    const show = await run(process.execPath, [cli, "--show-hosts"], { cwd: tmp.path, env });
    expect(show.stdout).toBe("a/3\nb:4000/2,lzo\nlocalhost/1\n");
    const jobs = await run(process.execPath, [cli, "-j"], { cwd: tmp.path, env });
    expect(jobs.stdout).toBe("6\n");
    const version = await run(process.execPath, [cli, "--version"], { cwd: tmp.path, env });
    // distcc's shape (its test suite's VersionOption regexes), then ours.
    const [line1, line2, line3] = version.stdout.split("\n");
    expect(line1).toMatch(/^distcc 3\.4 [.\w-]+$/);
    expect(line2).toBe("  (protocols 1, 2 and 3) (default port 3632)");
    expect(line3).toMatch(/^ {2}distcc-client \d+\.\d+\.\d+ /);
    const help = await run(process.execPath, [cli, "--help"], { cwd: tmp.path, env });
    expect(help.stdout).toContain("links DIR");
    // `launcher` builds the native launcher once under DISTCC_DIR and prints its path; it compiles.
    const launcher = await run(process.execPath, [cli, "launcher"], { cwd: tmp.path, env });
    expect(launcher.code, launcher.stderr).toBe(0);
    const path = launcher.stdout.trim();
    expect(path.startsWith(env.DISTCC_DIR!)).toBe(true);
    writeFileSync(join(tmp.path, "viacached.c"), "int v(void) { return 5; }\n");
    const compiled = await run(path, ["gcc", "-c", "viacached.c", "-o", "viacached.o"], {
      cwd: tmp.path,
      env: clientEnv(env.DISTCC_DIR!, "localhost"),
    });
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(existsSync(join(tmp.path, "viacached.o"))).toBe(true);
  });
});
