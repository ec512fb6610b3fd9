// Long because each launcher (native, Node) meets each fallback location and each kind of impostor
// as its own case.
/**
 * Issue 14, class 3: another local user makes the directory where a victim's launcher looks for its
 * agent (the fallbacks live in /tmp), listens there, and answers every launcher "run /bin/sh". Both
 * launchers must refuse that agent before sending anything, say so naming the path and its owner,
 * compile locally, and never run what it says. The victim and the attacker are always two different
 * users: root and `distcc-ci`, one way round or the other, or root and a uid of nobody's (so these
 * cases need root; as a normal user the cases that need only one user still run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir, unprivilegedUser } from "@x/testkit";
import { agentPaths, makeCompilerLinks, packageFiles, type AgentPaths } from "../dist/index.js";
import { run } from "./helpers.js";

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

/**
 * The victim of the cases on the per-uid paths in /tmp (/tmp/distcc-UID, /tmp/distcc-agent-UID),
 * which every process of a uid shares. As root: a uid with no account that nothing else here runs
 * as, so those paths are this file's alone to make, attack and remove (with distcc-ci, other tests
 * and tools running as distcc-ci at the same time would be disturbed). As a normal user: that user,
 * whose own paths are then left as they were found.
 */
const LONE_UID = 3_141_592;
function loneVictim(): Person {
  if (!isRoot) return VICTIM;
  if (
    readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .some((l) => l.split(":")[2] === String(LONE_UID))
  ) {
    throw new Error(`uid ${LONE_UID} has an account here: pick another LONE_UID for this test`);
  }
  return { name: `uid ${LONE_UID}`, uid: LONE_UID, gid: LONE_UID };
}
const LONE = loneVictim();

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runAs(who: Person, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return run(cmd, args, { cwd, env, uid: who.uid, gid: who.gid });
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

describe("another local user cannot take over a build through the agent socket", () => {
  const tmp = makeTempDir("client-takeover-");
  let nativeLauncher: string;
  const launchers = [
    { name: "native", command: (): [string, string[]] => [nativeLauncher, ["gcc", "-c", "x.c", "-o", "x.o"]] },
    {
      name: "Node",
      command: (): [string, string[]] => [
        process.execPath,
        [packageFiles().cliScript, "gcc", "-c", "x.c", "-o", "x.o"],
      ],
    },
  ] as const;
  const fakes: FakeAgent[] = [];
  /** The lone victim's per-uid paths: reset before and after every case (as root only: see LONE). */
  const lonePaths = [`/tmp/distcc-${LONE.uid}`, `/tmp/distcc-agent-${LONE.uid}`];
  let serial = 0;

  function resetLonePaths(): void {
    if (!isRoot) return;
    for (const p of lonePaths) {
      killAgentIn(join(p, "agent"));
      for (const e of existsSync(p) ? readdirSync(p) : []) killAgentIn(join(p, e));
      rmSync(p, { recursive: true, force: true });
    }
  }

  beforeAll(async () => {
    const links = makeCompilerLinks(join(tmp.path, "links"), process.env);
    if (links.launcher !== "native") throw new Error(`native launcher not built: ${links.warning}`);
    nativeLauncher = links.launcherPath;
    // The victims run this checkout's dist/ (the native launcher has its paths compiled in).
    for (const who of [VICTIM, LONE]) {
      const r = await runAs(who, process.execPath, [packageFiles().cliScript, "--version"], "/", victimEnv());
      if (r.code !== 0)
        throw new Error(
          `${who.name} cannot run ${packageFiles().cliScript} (the checkout must be readable by other users): ${r.stderr}`,
        );
    }
  });
  beforeEach(resetLonePaths);
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.stop();
    resetLonePaths();
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

  /** Stops the agent whose directory this is (the file's own agents only: see LONE). */
  function killAgentIn(agentDir: string): void {
    let pid: number;
    try {
      pid = Number(readFileSync(join(agentDir, "agent.pid"), "utf8"));
    } catch (err) {
      // No agent there (or not a directory at all: resetLonePaths passes every entry).
      if (["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) return;
      throw err;
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // else gone already
    }
  }

  /** A DISTCC_DIR deep enough (81+ characters) that the socket moves to a short fallback directory. */
  function deepStateDir(work: string): string {
    const deep = join(work, "a-rather-long-directory-name-for-the-state".padEnd(100, "x"), "state");
    expect(Buffer.byteLength(`${deep}/agent/agent-1.sock`)).toBeGreaterThanOrEqual(100);
    return deep;
  }

  async function expectRefused(
    r: Ran,
    work: { dir: string; marker: string },
    fake: FakeAgent,
    says: string[],
  ): Promise<Seen> {
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

    it.runIf(isRoot)(
      `${launcher.name} launcher, HOME unset: /tmp/distcc-UID made first by root is refused`,
      async () => {
        const work = workDir(LONE);
        const env = victimEnv();
        const paths = agentPaths(env, LONE.uid);
        expect(paths.stateDir).toBe(`/tmp/distcc-${LONE.uid}`);
        const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
        fakes.push(fake);
        const [cmd, args] = launcher.command();
        const r = await runAs(LONE, cmd, args, work.dir, env);
        const seen = await expectRefused(r, work, fake, [
          paths.socketPath,
          `/tmp/distcc-${LONE.uid} belongs to uid 0 (root), not to you (uid ${LONE.uid})`,
        ]);
        expect(seen.connections).toBe(0);
      },
    );

    it.runIf(isRoot)(
      `${launcher.name} launcher, deep DISTCC_DIR: /tmp/distcc-agent-UID made first by root is refused`,
      async () => {
        const work = workDir(LONE);
        const env = victimEnv({ DISTCC_DIR: deepStateDir(work.dir) });
        const paths = agentPaths(env, LONE.uid);
        expect(paths.privateDirs).toEqual([`/tmp/distcc-agent-${LONE.uid}`]);
        const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
        fakes.push(fake);
        const [cmd, args] = launcher.command();
        const r = await runAs(LONE, cmd, args, work.dir, env);
        const seen = await expectRefused(r, work, fake, [
          paths.socketPath,
          `/tmp/distcc-agent-${LONE.uid} belongs to uid 0 (root)`,
        ]);
        expect(seen.connections).toBe(0);
      },
    );

    it.runIf(isRoot)(
      `${launcher.name} launcher, deep DISTCC_DIR: its own /tmp/distcc-agent-UID with a directory of root's inside is refused`,
      async () => {
        const work = workDir(LONE);
        const env = victimEnv({ DISTCC_DIR: deepStateDir(work.dir) });
        const paths = agentPaths(env, LONE.uid);
        mkdirSync(paths.privateDirs[0]!, { mode: 0o700 });
        chownSync(paths.privateDirs[0]!, LONE.uid, LONE.gid);
        const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
        fakes.push(fake);
        const [cmd, args] = launcher.command();
        const r = await runAs(LONE, cmd, args, work.dir, env);
        const seen = await expectRefused(r, work, fake, [`${paths.agentDir} belongs to uid 0 (root)`]);
        expect(seen.connections).toBe(0);
      },
    );

    it.runIf(isRoot)(
      `${launcher.name} launcher as root: an agent directory made by ${VICTIM.name} in DISTCC_DIR is refused`,
      async () => {
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
        const seen = await expectRefused(r, work, fake, [
          `${paths.agentDir} belongs to uid ${VICTIM.uid} (${VICTIM.name}), not to you (uid 0)`,
        ]);
        expect(seen.connections).toBe(0);
      },
    );

    it.runIf(isRoot)(
      `${launcher.name} launcher as root: its own agent directory with mode 0777 (${VICTIM.name} listens in it) is refused`,
      async () => {
        const work = workDir(ROOT);
        const env = victimEnv({ DISTCC_DIR: join(work.dir, "state") });
        const paths = agentPaths(env, ROOT.uid);
        mkdirSync(paths.agentDir, { recursive: true });
        chmodSync(paths.agentDir, 0o777);
        const fake = await startFakeAgent(VICTIM, paths.socketPath, work.marker);
        fakes.push(fake);
        const [cmd, args] = launcher.command();
        const r = await runAs(ROOT, cmd, args, work.dir, env);
        const seen = await expectRefused(r, work, fake, [
          `${paths.agentDir} has mode 0777`,
          `chmod 700 ${paths.agentDir}`,
        ]);
        expect(seen.connections).toBe(0);
      },
    );
  }

  it.runIf(isRoot)(
    "native launcher: directories and socket handed to the victim but listened on by root are refused by SO_PEERCRED",
    async () => {
      // Only root can make this (chown): outside the threat model, but it is how SO_PEERCRED is seen
      // to work, the one check that no race on the path can get around. (Node has no SO_PEERCRED: the
      // Node launcher's equivalent holds against every user but root; see docs/security.md.)
      const work = workDir(LONE);
      const env = victimEnv({ DISTCC_DIR: deepStateDir(work.dir) });
      const paths = agentPaths(env, LONE.uid);
      const fake = await startFakeAgent(ROOT, paths.socketPath, work.marker);
      fakes.push(fake);
      for (const p of [...paths.privateDirs, paths.agentDir, paths.socketPath]) chownSync(p, LONE.uid, LONE.gid);
      const r = await runAs(LONE, nativeLauncher, ["gcc", "-c", "x.c", "-o", "x.o"], work.dir, env);
      const seen = await expectRefused(r, work, fake, [
        `the process listening on ${paths.socketPath} runs as uid 0 (root), not as you (uid ${LONE.uid})`,
      ]);
      expect(seen.connections).toBe(1);
    },
  );

  it("the agent refuses to start in a directory that is not private (mode 0777)", async () => {
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
    const paths = agentPaths(env, LONE.uid);
    mkdirSync(paths.agentDir, { recursive: true, mode: 0o700 });
    const r = await runAs(LONE, process.execPath, [packageFiles().agentScript], "/", env);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain(`${paths.stateDir} belongs to uid 0 (root)`);
    expect(existsSync(paths.socketPath)).toBe(false);
  });

  it.runIf(isRoot)(
    `agent stop as root does not kill the pid named in an agent directory made by ${VICTIM.name}`,
    async () => {
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
    },
  );

  describe("the per-user fallbacks work for their owner", () => {
    function expectPrivate(path: string, mode: number): void {
      const st = lstatSync(path);
      expect(st.uid).toBe(LONE.uid);
      expect(st.mode & 0o777).toBe(mode);
    }

    /** Compiles as LONE through a real agent, checks what it made, and stops it if this case started it. */
    async function compileThroughAgent(
      launcher: (typeof launchers)[number],
      env: NodeJS.ProcessEnv,
      paths: AgentPaths,
    ): Promise<void> {
      const work = workDir(LONE);
      const ours = !existsSync(paths.agentDir);
      const [cmd, args] = launcher.command();
      const r = await runAs(LONE, cmd, args, work.dir, env);
      try {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).not.toContain("compiling locally");
        expect(existsSync(join(work.dir, "x.o"))).toBe(true);
        for (const dir of [...paths.privateDirs, paths.agentDir]) expectPrivate(dir, 0o700);
        expectPrivate(paths.socketPath, 0o600);
      } finally {
        if (ours) killAgentIn(paths.agentDir);
      }
    }

    for (const launcher of launchers) {
      it(`${launcher.name} launcher, HOME unset: makes /tmp/distcc-UID with mode 0700 and its agent serves`, async () => {
        const env = victimEnv();
        const paths = agentPaths(env, LONE.uid);
        expect(paths.stateDir).toBe(`/tmp/distcc-${LONE.uid}`);
        await compileThroughAgent(launcher, env, paths);
      });

      it(`${launcher.name} launcher, deep DISTCC_DIR: makes /tmp/distcc-agent-UID/HASH with mode 0700 and its agent serves`, async () => {
        const env = victimEnv({ DISTCC_DIR: deepStateDir(workDir(LONE).dir) });
        const paths = agentPaths(env, LONE.uid);
        expect(paths.privateDirs).toEqual([`/tmp/distcc-agent-${LONE.uid}`]);
        await compileThroughAgent(launcher, env, paths);
      });

      it(`${launcher.name} launcher, deep DISTCC_DIR with XDG_RUNTIME_DIR: the socket goes there`, async () => {
        const runtime = workDir(LONE).dir;
        chmodSync(runtime, 0o700);
        const env = victimEnv({ DISTCC_DIR: deepStateDir(workDir(LONE).dir), XDG_RUNTIME_DIR: runtime });
        const paths = agentPaths(env, LONE.uid);
        expect(paths.privateDirs).toEqual([join(runtime, "distcc-agent")]);
        await compileThroughAgent(launcher, env, paths);
      });
    }
  });
});
