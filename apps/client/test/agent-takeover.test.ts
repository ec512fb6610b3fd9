/**
 * Issue 14, class 3: another local user makes the directory where a victim's launcher looks for its
 * agent (the fallbacks live in /tmp), listens there, and answers every launcher "run /bin/sh". Both
 * launchers must refuse that agent before sending anything, say so naming the path and its owner,
 * compile locally, and never run what it says. The victim and the attacker are always two different
 * users: root and `distcc-ci`, one way round or the other (so these cases need root; as a normal user
 * the cases that need only one user still run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, unprivilegedUser } from "@x/testkit";
import { agentPaths, makeCompilerLinks, packageFiles, type AgentPaths } from "../dist/index.js";

const FAKE_AGENT = join(dirname(fileURLToPath(import.meta.url)), "fake-agent.mjs");
const isRoot = process.getuid?.() === 0;

interface Person {
  name: string;
  uid: number;
  gid: number;
}
const ROOT: Person = { name: "root", uid: 0, gid: 0 };
const user = unprivilegedUser();
const VICTIM: Person = { name: user.name, uid: user.uid, gid: user.gid };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runAs(who: Person, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, uid: who.uid, gid: who.gid, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Seen {
  connections: number;
  bytes: number;
  text: string;
}

interface FakeAgent {
  /** What launchers sent it so far (every connection made before this call, once closed). */
  report(): Promise<Seen>;
  stop(): Promise<void>;
}

/** The attacker's agent (test/fake-agent.mjs), run as `who`, listening on `socketPath`. */
function startFakeAgent(who: Person, socketPath: string, marker: string): Promise<FakeAgent> {
  const child: ChildProcess = spawn(process.execPath, [FAKE_AGENT, socketPath, marker], {
    uid: who.uid,
    gid: who.gid,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`fake agent exited (${code}): ${stderr}`)));
    child.stdout!.setEncoding("utf8").once("data", () =>
      resolve({
        report: () =>
          new Promise<Seen>((done, fail) => {
            const s = connect(socketPath);
            let text = "";
            s.setEncoding("latin1");
            s.on("data", (d: string) => (text += d));
            s.once("error", fail);
            s.once("connect", () => s.write("SENTINEL\n"));
            s.once("close", () => {
              const at = text.indexOf("REPORT ");
              if (at < 0) return fail(new Error(`no report from the fake agent: ${JSON.stringify(text)}`));
              done(JSON.parse(text.slice(at + "REPORT ".length)) as Seen);
            });
          }),
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
        },
      }),
    );
  });
}

/** The environment of a victim's build: no HOME (cron, a daemon) unless given, a secret to leak. */
function victimEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    DISTCC_HOSTS: "localhost",
    DISTCC_AGENT_IDLE_TIMEOUT: "2",
    VICTIM_SECRET: "s3cr3t-token-of-the-victim",
    ...extra,
  };
}

describe("another local user cannot take over a build through the agent socket (issue 14, class 3)", () => {
  const tmp = makeTempDir("client-takeover-");
  let nativeLauncher: string;
  const launchers = [
    { name: "native", command: (): [string, string[]] => [nativeLauncher, ["gcc", "-c", "x.c", "-o", "x.o"]] },
    { name: "Node", command: (): [string, string[]] => [process.execPath, [packageFiles().cliScript, "gcc", "-c", "x.c", "-o", "x.o"]] },
  ] as const;
  const fakes: FakeAgent[] = [];
  /** Paths shared by every process of a uid (/tmp/distcc-<uid>, /tmp/distcc-agent-<uid>): reset per case. */
  const sharedPaths = [`/tmp/distcc-${VICTIM.uid}`, `/tmp/distcc-agent-${VICTIM.uid}`];
  let serial = 0;

  beforeAll(() => {
    const links = makeCompilerLinks(join(tmp.path, "links"), process.env);
    if (links.launcher !== "native") throw new Error(`native launcher not built: ${links.warning}`);
    nativeLauncher = links.launcherPath;
  });
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.stop();
    for (const p of sharedPaths) killAgentIn(p);
    for (const p of sharedPaths) rmSync(p, { recursive: true, force: true });
  });
  afterAll(() => tmp.remove());

  /** A build directory of `who` with x.c; the marker the attacker's "run" would create goes there. */
  function workDir(who: Person): { dir: string; marker: string } {
    const dir = join(tmp.path, `work-${serial++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, "x.c"), "int x(void) { return 42; }\n");
    chownSync(dir, who.uid, who.gid);
    chownSync(join(dir, "x.c"), who.uid, who.gid);
    return { dir, marker: join(dir, "pwned") };
  }

  function killAgentIn(agentDirOrState: string): void {
    for (const pidFile of [join(agentDirOrState, "agent.pid"), join(agentDirOrState, "agent", "agent.pid")]) {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        /* no agent there */
      }
    }
  }

  /** A DISTCC_DIR deep enough (81+ characters) that the socket moves to a short fallback directory. */
  function deepStateDir(work: string): string {
    const deep = join(work, "a-rather-long-directory-name-for-the-state".padEnd(100, "x"), "state");
    expect(Buffer.byteLength(`${deep}/agent/agent-1.sock`)).toBeGreaterThanOrEqual(100);
    return deep;
  }

  async function expectRefused(r: Ran, work: { dir: string; marker: string }, fake: FakeAgent, says: string[]): Promise<Seen> {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("refusing the agent at");
    for (const s of says) expect(r.stderr).toContain(s);
    expect(r.stderr).toContain("compiling locally");
    expect(existsSync(join(work.dir, "x.o")), r.stderr).toBe(true);
    expect(existsSync(work.marker)).toBe(false);
    const seen = await fake.report();
    expect(seen.bytes).toBe(0);
    return seen;
  }

  for (const launcher of launchers) {
    it(`${launcher.name} launcher: the fake agent does take over a launcher that trusts it (its own user's agent), so the refusals below are real`, async () => {
      const work = workDir(VICTIM);
      const env = victimEnv({ DISTCC_DIR: join(work.dir, "state") });
      const fake = await startFakeAgent(VICTIM, agentPaths(env, VICTIM.uid).socketPath, work.marker);
      fakes.push(fake);
      const [cmd, args] = launcher.command();
      const r = await runAs(VICTIM, cmd, args, work.dir, env);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(work.marker)).toBe(true);
      const seen = await fake.report();
      expect(seen.connections).toBe(1);
      expect(seen.text).toContain("VICTIM_SECRET=s3cr3t-token-of-the-victim");
    });

    it.runIf(isRoot)(`${launcher.name} launcher, HOME unset: /tmp/distcc-<uid> made first by root is refused`, async () => {
      const work = workDir(VICTIM);
      const env = victimEnv();
      const paths = agentPaths(env, VICTIM.uid);
      expect(paths.stateDir).toBe(`/tmp/distcc-${VICTIM.uid}`);
      const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
      fakes.push(fake);
      const [cmd, args] = launcher.command();
      const r = await runAs(VICTIM, cmd, args, work.dir, env);
      const seen = await expectRefused(r, work, fake, [`/tmp/distcc-${VICTIM.uid} belongs to uid 0 (root)`]);
      expect(seen.connections).toBe(0);
    });

    it.runIf(isRoot)(`${launcher.name} launcher, deep DISTCC_DIR: /tmp/distcc-agent-<uid> made first by root is refused`, async () => {
      const work = workDir(VICTIM);
      const env = victimEnv({ DISTCC_DIR: deepStateDir(work.dir) });
      const paths = agentPaths(env, VICTIM.uid);
      expect(paths.agentDir).toBe(`/tmp/distcc-agent-${VICTIM.uid}`);
      const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
      fakes.push(fake);
      const [cmd, args] = launcher.command();
      const r = await runAs(VICTIM, cmd, args, work.dir, env);
      const seen = await expectRefused(r, work, fake, [paths.socketPath, `/tmp/distcc-agent-${VICTIM.uid} belongs to uid 0 (root)`]);
      expect(seen.connections).toBe(0);
    });

    it.runIf(isRoot)(`${launcher.name} launcher as root: an agent directory made by ${VICTIM.name} in DISTCC_DIR is refused`, async () => {
      const work = workDir(ROOT);
      const attackers = join(tmp.path, `attacker-${serial++}`);
      mkdirSync(attackers);
      chownSync(attackers, VICTIM.uid, VICTIM.gid);
      const env = victimEnv({ DISTCC_DIR: join(attackers, "state") });
      const paths = agentPaths(env, ROOT.uid);
      const fake = await startFakeAgent(VICTIM, paths.socketPath, work.marker);
      fakes.push(fake);
      const [cmd, args] = launcher.command();
      const r = await runAs(ROOT, cmd, args, work.dir, env);
      const seen = await expectRefused(r, work, fake, [`${paths.agentDir} belongs to uid ${VICTIM.uid} (${VICTIM.name})`]);
      expect(seen.connections).toBe(0);
    });

    it.runIf(isRoot)(`${launcher.name} launcher as root: its own agent directory with mode 0777 (${VICTIM.name} listens in it) is refused`, async () => {
      const work = workDir(ROOT);
      const env = victimEnv({ DISTCC_DIR: join(work.dir, "state") });
      const paths = agentPaths(env, ROOT.uid);
      mkdirSync(paths.agentDir, { recursive: true });
      chmodSync(paths.agentDir, 0o777);
      const fake = await startFakeAgent(VICTIM, paths.socketPath, work.marker);
      fakes.push(fake);
      const [cmd, args] = launcher.command();
      const r = await runAs(ROOT, cmd, args, work.dir, env);
      const seen = await expectRefused(r, work, fake, [`${paths.agentDir} has mode 0777`, `chmod 700 ${paths.agentDir}`]);
      expect(seen.connections).toBe(0);
    });
  }

  it.runIf(isRoot)("native launcher: a socket and directory handed to the victim but listened on by root are refused by SO_PEERCRED", async () => {
    // Only root can make this (chown): outside the threat model, but it is how SO_PEERCRED is seen
    // to work, the one check that no race on the path can get around.
    const work = workDir(VICTIM);
    const env = victimEnv({ DISTCC_DIR: deepStateDir(work.dir) });
    const paths = agentPaths(env, VICTIM.uid);
    const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
    fakes.push(fake);
    chownSync(paths.agentDir, VICTIM.uid, VICTIM.gid);
    chownSync(paths.socketPath, VICTIM.uid, VICTIM.gid);
    const r = await runAs(VICTIM, nativeLauncher, ["gcc", "-c", "x.c", "-o", "x.o"], work.dir, env);
    const seen = await expectRefused(r, work, fake, [`the process listening on ${paths.socketPath} runs as uid 0 (root)`]);
    expect(seen.connections).toBe(1);
  });

  it(`the agent refuses to start in a directory that is not private (mode 0777)`, async () => {
    const work = workDir(VICTIM);
    const env = victimEnv({ DISTCC_DIR: join(work.dir, "state") });
    const paths = agentPaths(env, VICTIM.uid);
    mkdirSync(paths.agentDir, { recursive: true });
    chownSync(paths.stateDir, VICTIM.uid, VICTIM.gid);
    chownSync(paths.agentDir, VICTIM.uid, VICTIM.gid);
    chmodSync(paths.agentDir, 0o777);
    const r = await runAs(VICTIM, process.execPath, [packageFiles().agentScript], "/", env);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain(`${paths.agentDir} has mode 0777`);
    expect(existsSync(paths.socketPath)).toBe(false);
  });

  it.runIf(isRoot)("the agent refuses to start in a directory of another user", async () => {
    const env = victimEnv();
    const paths = agentPaths(env, VICTIM.uid);
    mkdirSync(paths.agentDir, { recursive: true, mode: 0o700 });
    const r = await runAs(VICTIM, process.execPath, [packageFiles().agentScript], "/", env);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain(`${paths.stateDir} belongs to uid 0 (root)`);
    expect(existsSync(paths.socketPath)).toBe(false);
  });

  it.runIf(isRoot)(`agent stop as root does not kill the pid named in an agent directory made by ${VICTIM.name}`, async () => {
    const attackers = join(tmp.path, `attacker-${serial++}`);
    const env = victimEnv({ DISTCC_DIR: join(attackers, "state") });
    const paths = agentPaths(env, ROOT.uid);
    mkdirSync(paths.agentDir, { recursive: true, mode: 0o700 });
    const bystander = spawn("sleep", ["600"], { stdio: "ignore" });
    try {
      writeFileSync(join(paths.agentDir, "agent.pid"), `${bystander.pid}\n`);
      for (const d of [attackers, paths.stateDir, paths.agentDir]) chownSync(d, VICTIM.uid, VICTIM.gid);
      const r = await runAs(ROOT, process.execPath, [packageFiles().cliScript, "agent", "stop"], "/", env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${paths.agentDir} belongs to uid ${VICTIM.uid} (${VICTIM.name})`);
      // Alive, not a zombie waiting to be reaped (the file is gone once it was).
      expect(readFileSync(`/proc/${bystander.pid}/stat`, "utf8").split(") ")[1]?.[0]).not.toBe("Z");
    } finally {
      bystander.kill("SIGKILL");
    }
  });

  describe("the per-user fallbacks work for their owner", () => {
    function expectPrivate(path: string, mode: number): void {
      const st = lstatSync(path);
      expect(st.uid).toBe(VICTIM.uid);
      expect(st.mode & 0o777).toBe(mode);
    }

    async function compileThroughAgent(launcher: (typeof launchers)[number], env: NodeJS.ProcessEnv, paths: AgentPaths): Promise<void> {
      const work = workDir(VICTIM);
      const [cmd, args] = launcher.command();
      const r = await runAs(VICTIM, cmd, args, work.dir, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("compiling locally");
      expect(existsSync(join(work.dir, "x.o"))).toBe(true);
      expectPrivate(paths.agentDir, 0o700);
      expectPrivate(paths.socketPath, 0o600);
      killAgentIn(paths.agentDir);
    }

    for (const launcher of launchers) {
      it(`${launcher.name} launcher, HOME unset: makes /tmp/distcc-<uid> with mode 0700 and its agent serves`, async () => {
        const env = victimEnv();
        const paths = agentPaths(env, VICTIM.uid);
        rmSync(paths.stateDir, { recursive: true, force: true });
        await compileThroughAgent(launcher, env, paths);
        expect(paths.stateDir).toBe(`/tmp/distcc-${VICTIM.uid}`);
        expectPrivate(paths.stateDir, 0o700);
      });

      it(`${launcher.name} launcher, deep DISTCC_DIR: makes /tmp/distcc-agent-<uid> with mode 0700 and its agent serves`, async () => {
        const env = victimEnv({ DISTCC_DIR: deepStateDir(workDir(VICTIM).dir) });
        const paths = agentPaths(env, VICTIM.uid);
        expect(paths.agentDir).toBe(`/tmp/distcc-agent-${VICTIM.uid}`);
        await compileThroughAgent(launcher, env, paths);
      });

      it(`${launcher.name} launcher, deep DISTCC_DIR with XDG_RUNTIME_DIR: the socket goes there, nowhere in /tmp`, async () => {
        const runtime = workDir(VICTIM).dir;
        chmodSync(runtime, 0o700);
        const env = victimEnv({ DISTCC_DIR: deepStateDir(workDir(VICTIM).dir), XDG_RUNTIME_DIR: runtime });
        const paths = agentPaths(env, VICTIM.uid);
        expect(paths.agentDir).toBe(join(runtime, "distcc-agent"));
        await compileThroughAgent(launcher, env, paths);
        expect(existsSync(`/tmp/distcc-agent-${VICTIM.uid}`)).toBe(false);
      });
    }
  });
});
