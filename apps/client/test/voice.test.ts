// Every message the client says (distcc's wording, once per build or per agent), one case each: a
// long list kept in one file so a new message is tested beside its siblings.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, makeTempDir, startDistccd, unprivilegedUser, waitFor, type DistccdHandle } from "@x/testkit";
import { listen } from "./fake-hosts.js";
import { clientEnv, makeLinks, run, stopAgent } from "./helpers.js";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import { generateProject } from "./project.js";
import { silentPort } from "./silent-port.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SOURCE = "int f(int x) { return x * 3; }\n";

/**
 * The client's voice (issue 13): what it says, once per build or per agent, and what `summary`,
 * `mon` and `doctor` tell. Real servers (our distcc-server, Debian's distccd), a closed port, an
 * address that resets, a name that does not resolve.
 */
describe("the client says what distcc says, and what it knows", () => {
  const tmp = makeTempDir("client-voice-");
  let launcher = "";
  let distccd: DistccdHandle;
  let refusingDistccd: DistccdHandle;
  let refusingOurs: ServerHandle;
  let resetting: Server;
  let resetPort = 0;
  let counter = 0;
  const dirs: string[] = [];

  beforeAll(async () => {
    ({ launcher } = makeLinks(join(tmp.path, "links")));
    distccd = await startDistccd({ jobs: 2 });
    refusingDistccd = await startDistccd({ jobs: 2, allow: ["10.11.12.13"] });
    refusingOurs = await startDistccServer({
      cacheDir: join(tmp.path, "cache"),
      extraArgs: ["--allow", "10.11.12.13"],
    });
    // An address that accepts, then resets every connection before a byte (a firewall's RST, a wrong service).
    resetting = createServer((s: Socket) => s.resetAndDestroy());
    resetPort = await listen(resetting);
  }, 60_000);
  afterAll(async () => {
    for (const d of dirs) await stopAgent(d);
    await distccd?.stop();
    await refusingDistccd?.stop();
    await refusingOurs?.stop();
    resetting?.close();
    tmp.remove();
  });

  /** A fresh directory with one source and its own agent state. */
  function fresh(): { dir: string; distccDir: string } {
    const dir = join(tmp.path, `c${++counter}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "x.c"), SOURCE);
    const distccDir = join(dir, "state");
    dirs.push(distccDir);
    return { dir, distccDir };
  }

  function warnings(stderr: string, text: string): string[] {
    return stderr.split("\n").filter((l) => l.includes(text));
  }

  /** The agent closed the build (its quiet gap passed): the next job starts a new one. */
  async function buildEnded(distccDir: string): Promise<void> {
    const file = join(distccDir, "agent", "status.json");
    // The status file is replaced (unlink + rename): a look that finds none or half a file is "not yet".
    await waitFor(
      "the agent to end its build (status.json's build.endedAt)",
      () => JSON.parse(readFileSync(file, "utf8")).build?.endedAt !== undefined,
      {
        timeoutMs: 20_000,
        intervalMs: 100,
      },
    );
  }

  async function summary(distccDir: string): Promise<string> {
    const r = await run(process.execPath, [CLI, "summary"], { cwd: "/", env: clientEnv(distccDir, "") });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  }

  async function compile(dir: string, env: NodeJS.ProcessEnv, args = ["gcc", "-c", "x.c", "-o", "x.o"]) {
    return run(launcher, args, { cwd: dir, env });
  }

  describe("no hosts", () => {
    it("an empty DISTCC_HOSTS: distcc's warning, once per build, and again for the next build", async () => {
      const p = fresh();
      generateProject(p.dir, 6);
      const env = clientEnv(p.distccDir, "");
      const real = await run("distcc", ["gcc", "-c", "x.c", "-o", "real.o"], { cwd: p.dir, env });
      expect(real.stderr).toContain("Warning: $DISTCC_HOSTS contained no hosts; can't distribute work");

      const first = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
      expect(first.code, first.stderr).toBe(0);
      expect(existsSync(join(p.dir, "obj", "u5.o"))).toBe(true);
      const said = warnings(first.stderr, "can't distribute work");
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        /^distcc-client\[\d+\] Warning: \$DISTCC_HOSTS contained no hosts; can't distribute work$/,
      );
      await buildEnded(p.distccDir);
      expect(await summary(p.distccDir)).toMatch(
        /^distcc-client: build for \d+\.\d s; 6 jobs run here: no host list gives any host\n$/,
      );

      const second = await compile(p.dir, env);
      expect(second.code, second.stderr).toBe(0);
      expect(warnings(second.stderr, "contained no hosts; can't distribute work")).toHaveLength(1);
    });

    it("--show-hosts and -j print nothing, with the same warning (as distcc)", async () => {
      const p = fresh();
      for (const arg of ["--show-hosts", "-j"]) {
        const real = await run("distcc", [arg], { cwd: p.dir, env: clientEnv(p.distccDir, "") });
        const ours = await run(process.execPath, [CLI, arg], { cwd: p.dir, env: clientEnv(p.distccDir, "") });
        expect([ours.code, ours.stdout]).toEqual([real.code, real.stdout]);
        expect(real.stderr).toContain("$DISTCC_HOSTS contained no hosts; can't distribute work");
        expect(ours.stderr).toBe("distcc-client: Warning: $DISTCC_HOSTS contained no hosts; can't distribute work\n");
      }
    });

    it("no host list anywhere (the system's hosts file hidden by bubblewrap): distcc's other warning with the way out (+zeroconf), once per build", async () => {
      const p = fresh();
      mkdirSync(p.distccDir, { recursive: true });
      const env = clientEnv(p.distccDir, "", { HOME: "/nonexistent" });
      delete env.DISTCC_HOSTS;
      // Only in this command's mount namespace: /etc/distcc is an empty tmpfs (Debian ships a hosts file there).
      const hidden = (cmd: string[]) =>
        run("bwrap", ["--dev-bind", "/", "/", "--tmpfs", "/etc/distcc", "--", ...cmd], { cwd: p.dir, env });
      const real = await hidden(["distcc", "gcc", "-c", "x.c", "-o", "real.o"]);
      expect(real.stderr).toContain("Warning: no hostlist is set; can't distribute work");
      const ours = await hidden(["sh", "-c", `${launcher} gcc -c x.c -o x.o && ${launcher} gcc -c x.c -o y.o`]);
      expect(ours.code, ours.stderr).toBe(0);
      expect(ours.stderr).toMatch(
        /^distcc-client\[\d+\] Warning: no hostlist is set; can't distribute work: set DISTCC_HOSTS .*DISTCC_HOSTS=\+zeroconf finds helpers started with --zeroconf\n$/,
      );
      expect(existsSync(join(p.dir, "y.o"))).toBe(true);
    });

    it("a hosts file with no host in it names the file", async () => {
      const p = fresh();
      mkdirSync(p.distccDir, { recursive: true });
      writeFileSync(join(p.distccDir, "hosts"), "# every helper is away\n--localslots=2\n");
      const env = clientEnv(p.distccDir, "");
      delete env.DISTCC_HOSTS;
      const r = await compile(p.dir, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Warning: ${join(p.distccDir, "hosts")} contained no hosts; can't distribute work`);
      expect(existsSync(join(p.dir, "x.o"))).toBe(true);
    });

    it("doctor says so and fails", async () => {
      const p = fresh();
      const r = await run(process.execPath, [CLI, "doctor", "gcc"], { cwd: p.dir, env: clientEnv(p.distccDir, "") });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("Warning: $DISTCC_HOSTS contained no hosts; can't distribute work\n");
      const local = await run(process.execPath, [CLI, "doctor", "gcc"], {
        cwd: p.dir,
        env: clientEnv(p.distccDir, "localhost/2"),
      });
      expect(local.code).toBe(1);
      expect(local.stdout).toContain("names no helper");
      expect(local.stdout).not.toContain("every host serves");
    });
  });

  it("agent state it cannot read (a directory where the learned model should be) is said once, and the agent keeps serving", async () => {
    const p = fresh();
    writeFileSync(join(p.dir, "y.c"), SOURCE);
    mkdirSync(join(p.distccDir, "scheduler-model.json"), { recursive: true });
    const env = clientEnv(p.distccDir, distccd.host);
    const first = await compile(p.dir, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /Warning: cannot read .*scheduler-model\.json \(EISDIR: illegal operation on a directory, read\): the helpers' speeds are learned afresh\n/,
    );
    const second = await compile(p.dir, env, ["gcc", "-c", "y.c", "-o", "y.o"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toBe("");
    await buildEnded(p.distccDir); // the model is saved at the end of a build: into a directory it cannot replace
    const third = await compile(p.dir, env);
    expect(third.code, third.stderr).toBe(0);
    expect(third.stderr).toBe("");
  });

  it("a host list that does not parse is said once per agent, not once per file", async () => {
    const p = fresh();
    generateProject(p.dir, 6);
    const env = clientEnv(p.distccDir, `${distccd.host},cpp`);
    const first = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(warnings(first.stderr, "pump mode without compression")).toHaveLength(1);
    rmSync(join(p.dir, "obj"), { recursive: true });
    mkdirSync(join(p.dir, "obj"));
    const again = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(warnings(again.stderr, "pump mode without compression")).toHaveLength(0);
  });

  describe("DISTCC_LOG", () => {
    it("is taken from the caller's directory, as distcc does", async () => {
      const p = fresh();
      const sub = join(p.dir, "sub");
      mkdirSync(sub);
      const env = clientEnv(p.distccDir, distccd.host, { DISTCC_LOG: "build.log" });
      const r = await run(launcher, ["gcc", "-c", "../x.c", "-o", "../x.o"], { cwd: sub, env });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(sub, "build.log"), "utf8")).toMatch(/^distcc-client\[\d+\] .*x\.c/m);
      expect(r.stderr).toBe("");
    });

    it("that cannot be opened is said, and messages go to stderr", async () => {
      const p = fresh();
      const env = clientEnv(p.distccDir, `127.0.0.1:${await freePort()}`, { DISTCC_LOG: "/nonexistent/dir/build.log" });
      const r = await compile(p.dir, env);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(p.dir, "x.o"))).toBe(true);
      expect(r.stderr).toMatch(
        /Warning: failed to open logfile DISTCC_LOG: ENOENT: no such file or directory, open '\/nonexistent\/dir\/build\.log'; messages go to stderr/,
      );
      // The failure itself reaches the user too; the per-job detail a log holds does not.
      expect(r.stderr).toContain("failed to distribute x.c");
      expect(r.stderr).not.toContain("preprocessing:");
    });

    it("in a directory the user cannot write: EACCES, said (run as an unprivileged user)", async () => {
      const user = unprivilegedUser();
      const root = mkdtempSync(join(tmpdir(), "client-voice-user-"));
      try {
        chmodSync(root, 0o755);
        const dir = join(root, "work");
        mkdirSync(dir);
        writeFileSync(join(dir, "x.c"), SOURCE);
        const locked = join(root, "locked");
        mkdirSync(locked, { mode: 0o555 });
        chmodSync(locked, 0o555);
        chownSync(dir, user.uid, user.gid);
        const distccDir = join(dir, "state");
        dirs.push(distccDir);
        const env = clientEnv(distccDir, distccd.host, { DISTCC_LOG: join(locked, "build.log"), HOME: dir });
        const r = await run(launcher, ["gcc", "-c", "x.c", "-o", "x.o"], {
          cwd: dir,
          env,
          uid: user.uid,
          gid: user.gid,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(
          `Warning: failed to open logfile DISTCC_LOG: EACCES: permission denied, open '${join(locked, "build.log")}'; messages go to stderr`,
        );
        expect(existsSync(join(dir, "x.o"))).toBe(true);
        await stopAgentAs(distccDir);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  describe("hosts that fail", () => {
    it("a closed port on a fresh agent: a warning, and summary lists the host as written with why", async () => {
      const p = fresh();
      const port = await freePort();
      const r = await compile(p.dir, clientEnv(p.distccDir, `127.0.0.1:${port}/2`));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        new RegExp(
          `Warning: failed to distribute x\\.c to 127\\.0\\.0\\.1:${port}: connection refused \\(no server on that port\\); running locally instead \\(or on another host\\)\\n`,
        ),
      );
      const s = await summary(p.distccDir);
      expect(s).toMatch(/^distcc-client: build for /);
      expect(s).toMatch(
        new RegExp(
          `^  127\\.0\\.0\\.1:${port}\\s+0 jobs\\s+-  failed: 1x connection refused \\(no server on that port\\)$`,
          "m",
        ),
      );
      expect(s).toContain("1 of 1 job compiled, 1 compiled locally after a remote failure");
      expect(s).not.toContain("tcp_");
    });

    it("an address where connections are never made, on a fresh agent: learned even when a copy here wins every job", async () => {
      const silent = await silentPort();
      try {
        const p = fresh();
        generateProject(p.dir, 6);
        const host = `127.0.0.1:${silent.port}`;
        const env = clientEnv(p.distccDir, `${host}/2`, { DISTCC_CONNECT_TIMEOUT: "1" });
        const first = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
        expect(first.code, first.stderr).toBe(0);
        // The build's summary lists it, with why, once the connect timeout has passed.
        const s = await waitFor(
          `the summary to list ${host}`,
          async () => {
            const text = await summary(p.distccDir);
            return text.includes(host) ? text : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        );
        expect(s).toMatch(
          new RegExp(
            `^  127\\.0\\.0\\.1:${silent.port}\\s+0 jobs\\s+-  failed: \\dx connect timed out \\(DISTCC_CONNECT_TIMEOUT\\)$`,
            "m",
          ),
        );
        // And the next build names it: backed off, not tried by every job again.
        await buildEnded(p.distccDir);
        const next = await compile(join(p.dir, "src"), env, ["gcc", "-I../include", "-c", "u0.c", "-o", "u0.o"]);
        expect(next.code, next.stderr).toBe(0);
        expect(next.stderr).toMatch(
          new RegExp(
            `Warning: ${host.replace(/\./g, "\\.")} skipped: backed off for \\d+ s more after: connect timed out \\(DISTCC_CONNECT_TIMEOUT\\)`,
          ),
        );
      } finally {
        silent.close();
      }
    });

    it("a name that does not resolve is named a DNS failure", async () => {
      const p = fresh();
      const r = await compile(p.dir, clientEnv(p.distccDir, "nonexistent.invalid"));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /Warning: failed to distribute x\.c to nonexistent\.invalid: the name does not resolve \(DNS: (ENOTFOUND|EAI_AGAIN)\); running locally instead \(or on another host\)/,
      );
      expect(await summary(p.distccDir)).toMatch(
        /^ {2}nonexistent\.invalid\s+0 jobs\s+- {2}failed: 1x the name does not resolve/m,
      );
    });

    it("a client outside --allow (distccd, ours) or an address that resets: reset before any answer, never the whitelist", async () => {
      for (const host of [refusingDistccd.host, refusingOurs.host, `127.0.0.1:${resetPort}`]) {
        const p = fresh();
        const r = await compile(p.dir, clientEnv(p.distccDir, host, { DISTCC_POLICY: "distcc" }));
        expect(r.code, r.stderr).toBe(0);
        // Exactly the example docs/client.md shows.
        expect(r.stderr).toContain(
          `Warning: failed to distribute x.c to ${host}: reset the connection before any answer: this machine is not in its --allow list, ` +
            "or it is not a distcc server; 'distcc-client doctor' checks every host; running locally instead (or on another host)\n",
        );
        expect(r.stderr).not.toContain("whitelist");
      }
    });

    it("a distccd without the compiler: closed after the request, the compiler named", async () => {
      const p = fresh();
      const bin = join(p.dir, "bin");
      mkdirSync(bin);
      symlinkSync("/usr/bin/gcc", join(bin, "mygcc"));
      const env = clientEnv(p.distccDir, distccd.host, {
        DISTCC_POLICY: "distcc",
        DISTCC_NO_REWRITE_CROSS: "1",
        PATH: `${bin}:${process.env.PATH}`,
      });
      const r = await compile(p.dir, env, ["mygcc", "-c", "x.c", "-o", "x.o"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `failed to distribute x.c to ${distccd.host}: closed the connection after the request without answering: ` +
          "on a distccd this means 'mygcc' is not whitelisted or not installed there; 'distcc-client doctor' checks every host",
      );
    });

    it("a helper that served this compiler and then closes is not blamed on the whitelist", async () => {
      // In front of the real distccd: the first connection goes through, later ones are read and closed
      // (the server killed mid-build, after it took the request).
      let connections = 0;
      const sockets = new Set<Socket>();
      const proxy = createServer((client) => {
        sockets.add(client);
        client.on("error", () => undefined);
        if (++connections > 1) {
          client.on("data", (d: Buffer) => {
            if (d.includes("DOTI")) setTimeout(() => client.end(), 50);
          });
          return;
        }
        import("node:net").then(({ connect }) => {
          const upstream = connect(distccd.port, "127.0.0.1");
          sockets.add(upstream);
          upstream.on("error", () => client.destroy());
          client.pipe(upstream);
          upstream.pipe(client);
        });
      });
      const port = await listen(proxy);
      try {
        const p = fresh();
        writeFileSync(join(p.dir, "y.c"), SOURCE);
        const env = clientEnv(p.distccDir, `127.0.0.1:${port}`, { DISTCC_POLICY: "distcc" });
        const ok = await compile(p.dir, env);
        expect(ok.code, ok.stderr).toBe(0);
        expect(ok.stderr).toBe("");
        const r = await compile(p.dir, env, ["gcc", "-c", "y.c", "-o", "y.o"]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toContain(
          `failed to distribute y.c to 127.0.0.1:${port}: closed the connection after the request without answering (it served this compiler before: did the server stop or die?)`,
        );
        expect(r.stderr).not.toContain("whitelist");
      } finally {
        for (const s of sockets) s.destroy();
        proxy.close();
      }
    });

    it("a backed-off host is named at the start of the next build, with why and what to do", async () => {
      const p = fresh();
      generateProject(p.dir, 4);
      const port = await freePort();
      const env = clientEnv(p.distccDir, `127.0.0.1:${port}/2`);
      const first = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
      expect(first.code, first.stderr).toBe(0);
      expect(warnings(first.stderr, `127.0.0.1:${port}`)).toHaveLength(1);
      await buildEnded(p.distccDir);
      rmSync(join(p.dir, "obj"), { recursive: true });
      mkdirSync(join(p.dir, "obj"));
      const second = await run("make", ["-j4", `CC=${launcher} gcc`], { cwd: p.dir, env });
      expect(second.code, second.stderr).toBe(0);
      const said = warnings(second.stderr, `127.0.0.1:${port}`);
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(
        new RegExp(
          `^distcc-client\\[\\d+\\] Warning: 127\\.0\\.0\\.1:${port} skipped: backed off for \\d+ s more after: connection refused \\(no server on that port\\); \`distcc-client agent stop\` or wait$`,
        ),
      );
      await buildEnded(p.distccDir);
      expect(await summary(p.distccDir)).toMatch(
        new RegExp(
          `^  127\\.0\\.0\\.1:${port}\\s+0 jobs\\s+-  skipped: backed off after: connection refused \\(no server on that port\\)$`,
          "m",
        ),
      );
    });
  });

  it("a compile error on a helper, compiled again here, is that helper's failure in summary", async () => {
    const p = fresh();
    writeFileSync(join(p.dir, "bad.c"), "int f(void) { return undeclared; }\n");
    const r = await compile(p.dir, clientEnv(p.distccDir, distccd.host, { DISTCC_POLICY: "distcc" }), [
      "gcc",
      "-c",
      "bad.c",
      "-o",
      "bad.o",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: .undeclared. undeclared/);
    const s = await summary(p.distccDir);
    expect(s).toContain("1 of 1 job compiled, 1 compiled locally after a remote failure");
    expect(s).toMatch(
      new RegExp(
        `^  ${distccd.host.replace(/\./g, "\\.")}\\s+0 jobs\\s+-  failed: 1x the compile failed there \\(exit 1\\), compiled again here$`,
        "m",
      ),
    );
    expect(s).toMatch(/^ {2}localhost\s+1 job /m);
  });

  describe("the preprocessor's output that cannot be read", () => {
    /** A gcc whose preprocessing run spoils the file it writes to (what an EMFILE or EACCES in the agent would meet). */
    function spoilingGcc(dir: string, spoil: string): string {
      const bin = join(dir, "bin");
      mkdirSync(bin, { recursive: true });
      chmodSync(bin, 0o755);
      const script = join(bin, "gcc");
      writeFileSync(
        script,
        [
          "#!/bin/sh",
          'case " $* " in',
          `  *" -E "*) /usr/bin/gcc "$@"; s=$?; ${spoil} "$(readlink /proc/$$/fd/1)"; exit $s;;`,
          "esac",
          'exec /usr/bin/gcc "$@"',
          "",
        ].join("\n"),
      );
      chmodSync(script, 0o755);
      return bin;
    }

    it("is never sent as an empty source: the job is compiled here, and that is said", async () => {
      const p = fresh();
      const bin = spoilingGcc(p.dir, "rm -f");
      const before = distccJobsOk();
      const env = clientEnv(p.distccDir, distccd.host, { DISTCC_POLICY: "distcc", PATH: `${bin}:${process.env.PATH}` });
      const r = await compile(p.dir, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /Warning: cannot read the preprocessor's output \(ENOENT: no such file or directory, open '[^']+'\); compiling x\.c locally\n/,
      );
      expect(readFileSync(join(p.dir, "x.o")).subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      expect(distccJobsOk()).toBe(before);
    });

    it("unreadable (EACCES, as an unprivileged user): the same", async () => {
      const user = unprivilegedUser();
      const root = mkdtempSync(join(tmpdir(), "client-voice-cpp-"));
      try {
        chmodSync(root, 0o755);
        const dir = join(root, "work");
        mkdirSync(dir);
        writeFileSync(join(dir, "x.c"), SOURCE);
        const bin = spoilingGcc(root, "chmod 000");
        chownSync(dir, user.uid, user.gid);
        const distccDir = join(dir, "state");
        dirs.push(distccDir);
        const env = clientEnv(distccDir, distccd.host, {
          DISTCC_POLICY: "distcc",
          PATH: `${bin}:${process.env.PATH}`,
          HOME: dir,
        });
        const r = await run(launcher, ["gcc", "-c", "x.c", "-o", "x.o"], {
          cwd: dir,
          env,
          uid: user.uid,
          gid: user.gid,
        });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(
          /Warning: cannot read the preprocessor's output \(EACCES: permission denied, open '[^']+'\); compiling x\.c locally\n/,
        );
        expect(existsSync(join(dir, "x.o"))).toBe(true);
        await stopAgent(distccDir);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  it("DISTCC_VERBOSE names the ABI options only for the requests that carry them", async () => {
    const ours = await startDistccServer({ cacheDir: join(tmp.path, "cache-verbose") });
    try {
      const p = fresh();
      writeFileSync(join(p.dir, "y.c"), SOURCE);
      const env = clientEnv(p.distccDir, ours.host, { DISTCC_POLICY: "distcc", DISTCC_VERBOSE: "1" });
      // The first request is a standard one (the host is not known yet): the ARM defaults go as options.
      const first = await compile(p.dir, env, ["arm-linux-gnueabihf-gcc", "-c", "x.c", "-o", "x.o"]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/adding '[^']*-march=[^']*' \(the compiler's target and code-generation defaults\)/);
      expect(first.stderr).toMatch(/is a distcc-ts server/);
      // Known ours now: the identity travels instead, and nothing says the options are added.
      const second = await compile(p.dir, env, ["arm-linux-gnueabihf-gcc", "-c", "y.c", "-o", "y.o"]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toMatch(/sending y\.c to .*ours: lzo, identity/);
      expect(second.stderr).not.toContain("-march=");
    } finally {
      await ours.stop();
    }
  });

  describe("doctor", () => {
    async function doctor(hosts: string): Promise<{ code: number | null; stdout: string }> {
      const p = fresh();
      const r = await run(process.execPath, [CLI, "doctor", "gcc"], { cwd: p.dir, env: clientEnv(p.distccDir, hosts) });
      return { code: r.code, stdout: r.stdout };
    }

    it("a client outside --allow: a reset before any answer, no compiler fix suggested", async () => {
      for (const host of [refusingDistccd.host, refusingOurs.host, `127.0.0.1:${resetPort}`]) {
        const r = await doctor(host);
        expect(r.code).toBe(1);
        expect(r.stdout).toContain(
          `${host}: connects, but the server reset the connection before any answer: this machine is not in its --allow list, or it is not a distcc server`,
        );
        expect(r.stdout).not.toMatch(/apt-get|update-distcc-symlinks|whitelist|To fix/);
      }
    });

    it("a name that does not resolve: named as DNS, no server to start", async () => {
      const r = await doctor("nonexistent.invalid");
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /nonexistent\.invalid: NOT reachable: the name does not resolve \(DNS: (ENOTFOUND|EAI_AGAIN)\)/,
      );
      expect(r.stdout).toContain("check the name 'nonexistent.invalid' in $DISTCC_HOSTS");
      expect(r.stdout).not.toContain("start the server");
    });

    it("a closed port: start the server there (nothing listens)", async () => {
      const port = await freePort();
      const r = await doctor(`127.0.0.1:${port}`);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`127.0.0.1:${port}: NOT reachable: connection refused (no server on that port)`);
      expect(r.stdout).toContain(
        `fix, on 127.0.0.1: start the server (distcc-server, or distccd --allow <this machine>) on port ${port}`,
      );
    });

    it("a distccd that serves gcc: ok, exit 0", async () => {
      const r = await doctor(distccd.host);
      expect(r.stdout).toMatch(/ok {4}gcc: sent as/);
      expect(r.stdout).toContain("every host serves every local compiler");
      expect(r.code).toBe(0);
    });
  });

  function distccJobsOk(): number {
    return (distccd.log().match(/COMPILE_OK/g) ?? []).length;
  }

  /** The unprivileged user's agent: stopped by its pid (we are root or that user: either may signal it). */
  async function stopAgentAs(distccDir: string): Promise<void> {
    await stopAgent(distccDir);
  }
});
