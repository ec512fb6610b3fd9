// Where a compile's outputs may go (-o /dev/null, FIFOs, read-only and missing directories, side
// files), each against distcc's own behaviour, as root and as an unprivileged user: many small
// cases, one subject.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startDistccd, unprivilegedUser } from "@x/testkit";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import { clientEnv, disassemble, distccdJobs, makeLinks, run, stopAgent, waitForJobs } from "./helpers.js";

// Where a compile writes its output (`-o`), as a local gcc does it, compared with our client against
// both servers, as root and as an unprivileged user: exit status, stderr, and the target afterwards.

const SOURCE = "int f(int x) { return x * 3; }\n";

interface TargetCase {
  name: string;
  /** The compile's arguments (the input is x.c, in the case's directory). */
  args: string[];
  /** Makes the target's starting state in a fresh case directory (owned by the runner's user after). */
  setup?(dir: string): void;
  /** Paths (relative to the case directory, or absolute) whose state afterwards must match the local one. */
  watch: string[];
  /** A reader is on the FIFO `fifo` while the compile runs; what it read is compared. */
  fifo?: boolean;
  /** The write is left to the local compiler even though it succeeds (the agent does not guess). */
  compiledHere?: boolean;
  /** The file that may fail is the dependency file, written by the local preprocessing: when it
   * fails, the job never reaches the helper (the preprocessor's verdict is the compile's). */
  writtenByPreprocessor?: boolean;
}

const stale = (dir: string, name: string, text = "stale\n"): void => writeFileSync(join(dir, name), text);

const CASES: TargetCase[] = [
  { name: "a regular file", args: ["-c", "x.c", "-o", "x.o"], setup: (d) => stale(d, "x.o"), watch: ["x.o"] },
  { name: "a new file, -S", args: ["-S", "x.c", "-o", "x.s"], watch: ["x.s"] },
  {
    name: "an existing read-only file, -S (cc1 rewrites it in place)",
    args: ["-S", "x.c", "-o", "x.s"],
    setup: (d) => {
      stale(d, "x.s");
      chmodSync(join(d, "x.s"), 0o444);
    },
    watch: ["x.s"],
  },
  {
    name: "a symlink to a non-empty file (the assembler replaces the link)",
    args: ["-c", "x.c", "-o", "link.o"],
    setup: (d) => {
      stale(d, "real.o");
      symlinkSync("real.o", join(d, "link.o"));
    },
    watch: ["link.o", "real.o"],
  },
  {
    name: "a symlink to an empty file (the assembler writes through it)",
    args: ["-c", "x.c", "-o", "link.o"],
    setup: (d) => {
      stale(d, "real.o", "");
      symlinkSync("real.o", join(d, "link.o"));
    },
    watch: ["link.o", "real.o"],
  },
  {
    name: "a symlink to a file, -S (cc1 writes through it)",
    args: ["-S", "x.c", "-o", "link.s"],
    setup: (d) => {
      stale(d, "real.s");
      symlinkSync("real.s", join(d, "link.s"));
    },
    watch: ["link.s", "real.s"],
  },
  {
    name: "a dangling symlink",
    args: ["-c", "x.c", "-o", "link.o"],
    setup: (d) => symlinkSync("nowhere.o", join(d, "link.o")),
    watch: ["link.o", "nowhere.o"],
    compiledHere: true,
  },
  { name: "/dev/null", args: ["-c", "x.c", "-o", "/dev/null"], watch: ["/dev/null"] },
  { name: "/dev/null, -S", args: ["-S", "x.c", "-o", "/dev/null"], watch: ["/dev/null"] },
  {
    name: "a symlink to /dev/null",
    args: ["-c", "x.c", "-o", "null.o"],
    setup: (d) => symlinkSync("/dev/null", join(d, "null.o")),
    watch: ["null.o", "/dev/null"],
  },
  {
    name: "a FIFO, -S",
    args: ["-S", "x.c", "-o", "fifo"],
    setup: (d) => mkfifo(join(d, "fifo")),
    watch: ["fifo"],
    fifo: true,
  },
  {
    name: "a FIFO, -c (the assembler cannot seek)",
    args: ["-c", "x.c", "-o", "fifo"],
    setup: (d) => mkfifo(join(d, "fifo")),
    watch: ["fifo"],
    fifo: true,
  },
  {
    name: "a read-only directory",
    args: ["-c", "x.c", "-o", "ro/x.o"],
    setup: (d) => readOnlyDir(d, "ro"),
    watch: ["ro", "ro/x.o"],
  },
  {
    name: "a read-only directory, -S",
    args: ["-S", "x.c", "-o", "ro/x.s"],
    setup: (d) => readOnlyDir(d, "ro"),
    watch: ["ro", "ro/x.s"],
  },
  {
    name: "a dependency file in a read-only directory",
    args: ["-MD", "-MF", "ro/x.d", "-c", "x.c", "-o", "x.o"],
    setup: (d) => readOnlyDir(d, "ro"),
    watch: ["ro/x.d", "x.o"],
    writtenByPreprocessor: true,
  },
  { name: "a missing directory", args: ["-c", "x.c", "-o", "missing/x.o"], watch: ["missing"] },
  {
    name: "a missing directory, -MD",
    args: ["-MD", "-c", "x.c", "-o", "missing/x.o"],
    watch: ["missing"],
    writtenByPreprocessor: true,
  },
];

function mkfifo(path: string): void {
  const r = spawnSync("mkfifo", [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path}: ${r.stderr}`);
}

function readOnlyDir(dir: string, name: string): void {
  mkdirSync(join(dir, name), { mode: 0o555 });
  chmodSync(join(dir, name), 0o555);
}

/** Who runs a case: this process's user, or the unprivileged one (its own agent and DISTCC_DIR). */
interface Runner {
  name: string;
  uid: number;
  gid: number;
  distccDir: string;
}

interface Outcome {
  code: number | null;
  stderr: string;
  /** Each watched path: its type, permissions, and content (disassembly for objects). */
  targets: Record<string, string>;
  /** What the FIFO's reader got. */
  fifoRead?: string;
}

/** gcc's temp names (`/tmp/ccAbC123.s: Assembler messages:`) differ from run to run. */
function normalizeStderr(stderr: string): string {
  return stderr.replace(/\/tmp\/cc\w{6}\.s/g, "/tmp/ccXXXXXX.s");
}

const isRoot = process.getuid?.() === 0;

describe.each([
  ["Debian's distccd", () => startDistccd({ jobs: 2 })],
  ["our distcc-server", () => startDistccServer({ jobs: 2 })],
] as [string, () => Promise<ServerHandle>][])(
  "output targets through %s: as a local gcc leaves them",
  (_serverName, startServer) => {
    const tmp = makeTempDir("client-output-targets-");
    let server: ServerHandle;
    let launcher = "";
    const runners: Runner[] = [];
    /** The root runs of /dev/null cases happen in a private mount namespace with their own /dev. */
    let privateDev = false;
    const namespacedAgents: string[] = [];
    let counter = 0;

    beforeAll(async () => {
      server = await startServer();
      ({ launcher } = makeLinks(join(tmp.path, "links")));
      const me = {
        name: isRoot ? "root" : "this user",
        uid: process.getuid!(),
        gid: process.getgid!(),
        distccDir: join(tmp.path, "state-me"),
      };
      runners.push(me);
      const user = unprivilegedUser();
      if (user.uid !== me.uid) {
        const distccDir = join(tmp.path, "state-unprivileged");
        mkdirSync(distccDir, { mode: 0o700 });
        chownSync(distccDir, user.uid, user.gid);
        runners.push({ name: user.name, uid: user.uid, gid: user.gid, distccDir });
      }
      privateDev = isRoot && spawnSync("unshare", ["--mount", "--propagation", "private", "true"]).status === 0;
    });
    afterAll(async () => {
      for (const r of runners) await stopAgent(r.distccDir);
      for (const d of namespacedAgents) await stopAgent(d);
      await server?.stop();
      // A bug that replaced the machine's /dev/null (possible only outside a private /dev) is undone.
      if (isRoot && !lstatSync("/dev/null").isCharacterDevice()) {
        spawnSync("rm", ["-f", "/dev/null"]);
        spawnSync("mknod", ["-m", "666", "/dev/null", "c", "1", "3"]);
      }
      tmp.remove();
    });

    function caseDir(runner: Runner, c: TargetCase): string {
      const dir = join(tmp.path, `case-${++counter}`);
      mkdirSync(dir);
      writeFileSync(join(dir, "x.c"), SOURCE);
      c.setup?.(dir);
      // Everything the case made belongs to the runner (the read-only directory stays read-only).
      const own = spawnSync("chown", ["-hR", `${runner.uid}:${runner.gid}`, dir]);
      if (own.status !== 0) throw new Error(`chown: ${own.stderr}`);
      return dir;
    }

    /** Runs `argv` as the runner in `dir`, with a FIFO reader when the case has one, and describes the result. */
    async function runCase(
      runner: Runner,
      c: TargetCase,
      dir: string,
      argv: string[],
      env: NodeJS.ProcessEnv,
    ): Promise<Outcome> {
      const reader = c.fifo ? readFifo(join(dir, "fifo")) : undefined;
      const usesDevNull = c.watch.includes("/dev/null");
      const stateFile = join(dir, ".dev-null-state");
      let cmd = argv;
      if (usesDevNull) {
        // /dev/null's state is taken where the compile ran (inside the namespace, when there is one).
        const script = '"$@"; rc=$?; stat -c "%F %t,%T %a" /dev/null > "$NULL_STATE"; exit $rc';
        cmd = ["sh", "-c", script, "sh", ...argv];
        if (runner.uid === 0 && privateDev) {
          const setup =
            // biome-ignore lint/suspicious/noTemplateCurlyInString: ${d%:*} is the shell's expansion, not a template.
            "mount -t tmpfs -o mode=755 none /dev && for d in null:3 zero:5 full:7 random:8 urandom:9; do mknod -m 666 /dev/${d%:*} c 1 ${d#*:}; done";
          cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", `${setup} && exec "$@"`, "sh", ...cmd];
        }
      }
      const r = await runAs(runner, cmd, dir, { ...env, NULL_STATE: stateFile });
      const fifoRead = await reader?.finish();
      const targets: Record<string, string> = {};
      for (const w of c.watch)
        targets[w] = w === "/dev/null" ? readFileSync(stateFile, "utf8").trim() : await describeTarget(join(dir, w));
      return {
        code: r.code,
        stderr: normalizeStderr(r.stderr),
        targets,
        ...(fifoRead !== undefined ? { fifoRead } : {}),
      };
    }

    for (const c of CASES) {
      it(`${c.name} (${c.args.join(" ")})`, async () => {
        for (const runner of runners) {
          const localDir = caseDir(runner, c);
          const local = await runCase(runner, c, localDir, ["gcc", ...c.args], process.env);
          const written = local.code === 0 && !c.compiledHere;
          // A fresh agent inside the namespace for a root /dev/null case: the agent writes the output.
          const nsAgent = runner.uid === 0 && privateDev && c.watch.includes("/dev/null");
          const distccDir = nsAgent ? join(tmp.path, `state-ns-${counter}`) : runner.distccDir;
          if (nsAgent) namespacedAgents.push(distccDir);
          const remoteDir = caseDir(runner, c);
          const log = join(runner.distccDir, `log-${counter}`);
          // Written by the agent: DISTCC_FALLBACK=0 (no local compile can stand in). Left to gcc: distcc's
          // order without localhost, so the job still goes to the helper first.
          const mode: Record<string, string> = written ? { DISTCC_FALLBACK: "0" } : { DISTCC_POLICY: "distcc" };
          const env = clientEnv(distccDir, server.host, { ...mode, DISTCC_LOG: log });
          const before = distccdJobs(server.log()).ok;
          const remote = await runCase(runner, c, remoteDir, [launcher, "gcc", ...c.args], env);
          const what = `${c.name} as ${runner.name}`;

          expect(remote.code, `${what}: ${remote.stderr}`).toBe(local.code);
          expect(remote.stderr, what).toBe(local.stderr);
          expect(remote.targets, what).toEqual(local.targets);
          expect(remote.fifoRead, what).toBe(local.fifoRead);
          const agentLog = readFileSync(log, "utf8");
          if (local.code !== 0 && c.writtenByPreprocessor) {
            expect(distccdJobs(server.log()).ok, what).toBe(before);
            expect(agentLog, what).toMatch(/x\.c: preprocessing failed \(exit 1\): compiling locally/);
            continue;
          }
          // The helper compiled it; the agent wrote its output, or handed the write to the local gcc.
          expect((await waitForJobs(server.log, { ok: before + 1 })).ok, what).toBe(before + 1);
          if (written) expect(agentLog, what).toMatch(/x\.c compiled on 127\.0\.0\.1:\d+/);
          else
            expect(agentLog, what).toMatch(
              /the output cannot be written as the compiler would \(.*\): compiling locally/,
            );
        }
        if (isRoot) expect(lstatSync("/dev/null").isCharacterDevice()).toBe(true);
      });
    }

    it("DISTCC_FALLBACK=0: an output that cannot be written is exit 107 with the cause, no local compile, no directory", async () => {
      const c: TargetCase = { name: "missing", args: ["-c", "x.c", "-o", "missing/x.o"], watch: ["missing"] };
      for (const runner of runners) {
        const dir = caseDir(runner, c);
        const before = distccdJobs(server.log()).ok;
        const env = clientEnv(runner.distccDir, server.host, { DISTCC_FALLBACK: "0" });
        const r = await runAs(runner, [launcher, "gcc", ...c.args], dir, env);
        expect(r.code, r.stderr).toBe(107);
        expect(r.stderr).toMatch(
          /^distcc-client: cannot write missing\/x\.o \(.*missing\/x\.o: ENOENT\) and DISTCC_FALLBACK=0: not compiling locally\n$/,
        );
        expect(await describeTarget(join(dir, "missing"))).toBe("missing");
        expect((await waitForJobs(server.log, { ok: before + 1 })).ok).toBe(before + 1);
      }
    });

    it("files besides the output (-gsplit-dwarf's .dwo, -fstack-usage's .su): a local compile writes them", async () => {
      const c: TargetCase = {
        name: "side files",
        args: ["-g", "-gsplit-dwarf", "-fstack-usage", "-c", "x.c", "-o", "x.o"],
        watch: [],
      };
      for (const runner of runners) {
        const localDir = caseDir(runner, c);
        const local = await runAs(runner, ["gcc", ...c.args], localDir, process.env);
        const remoteDir = caseDir(runner, c);
        const log = join(runner.distccDir, `log-side-${counter}`);
        // distcc's order: without the check, this job would go to the helper.
        const env = clientEnv(runner.distccDir, server.host, { DISTCC_POLICY: "distcc", DISTCC_LOG: log });
        const remote = await runAs(runner, [launcher, "gcc", ...c.args], remoteDir, env);
        expect(local.code, local.stderr).toBe(0);
        expect(remote.code, remote.stderr).toBe(0);
        expect(readdirSync(remoteDir).sort()).toEqual(["x.c", "x.dwo", "x.o", "x.su"]);
        expect(readdirSync(localDir).sort()).toEqual(readdirSync(remoteDir).sort());
        expect(readFileSync(join(remoteDir, "x.su"), "utf8")).toBe(readFileSync(join(localDir, "x.su"), "utf8"));
        expect(readFileSync(log, "utf8")).toContain(
          "-gsplit-dwarf writes files besides the output, which a helper cannot send back: running locally",
        );
      }
    });

    it("/dev/stdout and a link to it are the caller's own: written by the launcher's gcc, never opened by the agent", async () => {
      const outputs: [string, RegExp][] = [
        ["/dev/stdout", /x\.c: the output \/dev\/stdout is the caller's own file: running locally/],
        [
          "out.s",
          /the output cannot be written as the compiler would \(.*out\.s: a link to the caller's own file\): compiling locally/,
        ],
      ];
      for (const [output, said] of outputs) {
        const c: TargetCase = {
          name: output,
          args: ["-S", "x.c", "-o", output],
          setup: (d) => symlinkSync("/dev/stdout", join(d, "out.s")),
          watch: [],
        };
        for (const runner of runners) {
          // Through a pipe, as in `gcc -S -o /dev/stdout x.c | less` (a spawned child's stdout is a socket,
          // which /dev/stdout cannot open).
          const piped = ["bash", "-c", 'set -o pipefail; "$@" | cat', "bash"];
          const local = await runAs(runner, [...piped, "gcc", ...c.args], caseDir(runner, c), process.env);
          const log = join(runner.distccDir, `log-stdout-${counter}`);
          // distcc's order: without the checks, this job would be written by the agent.
          const env = clientEnv(runner.distccDir, server.host, { DISTCC_POLICY: "distcc", DISTCC_LOG: log });
          const remote = await runAs(runner, [...piped, launcher, "gcc", ...c.args], caseDir(runner, c), env);
          expect(local.code, local.stderr).toBe(0);
          expect(remote.code, remote.stderr).toBe(0);
          expect(local.stdout).toContain(".globl\tf");
          expect(remote.stdout).toBe(local.stdout);
          expect(readFileSync(log, "utf8")).toMatch(said);
        }
      }
    });
  },
);

/** Spawns `argv` as the runner (uid/gid), collecting its output. */
function runAs(
  runner: Runner,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const as = runner.uid === process.getuid?.() ? {} : { uid: runner.uid, gid: runner.gid };
  return run(argv[0]!, argv.slice(1), { cwd, env, ...as });
}

/**
 * A reader on a FIFO for the whole compile. Its read end is opened without blocking, and a write end
 * of our own holds the FIFO open, so the reader is there before the compile starts and sees no end of
 * file until `finish` (after the compile) closes that write end.
 */
function readFifo(path: string): { finish(): Promise<string> } {
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const holdFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  reader.on("data", (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((resolve, reject) => {
    reader.once("end", resolve);
    reader.once("error", reject);
  });
  return {
    async finish() {
      closeSync(holdFd);
      await ended;
      reader.destroy();
      return Buffer.concat(chunks).toString("latin1");
    },
  };
}

/** A path's state, comparable between the local and the remote case directory. */
async function describeTarget(path: string): Promise<string> {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  const perms = (stats.mode & 0o7777).toString(8);
  if (stats.isSymbolicLink()) return `symlink -> ${readlinkSync(path)}`;
  if (stats.isDirectory()) return `directory ${perms}`;
  if (stats.isFIFO()) return `fifo ${perms}`;
  if (stats.isCharacterDevice()) return `character device ${perms}`;
  if (!stats.isFile()) return "other";
  const bytes = readFileSync(path);
  if (bytes.subarray(0, 4).toString("latin1") === "\x7fELF")
    return `file ${perms}, object:\n${await disassemble(path)}`;
  return `file ${perms}:\n${bytes.toString("latin1")}`;
}
