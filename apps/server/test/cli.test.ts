// The server's command line end to end (flags, config, daemon, inetd, signals, logs): one process
// surface, many cases.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, makeTempDir, waitFor, waitForPort } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientDir, distccEnv, run, httpGet } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const HELLO = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n';

let dir: ReturnType<typeof clientDir>;
let temp: { path: string; remove(): void };
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = clientDir();
  temp = makeTempDir("distcc-server-cli-");
  writeFileSync(join(dir.path, "hello.c"), HELLO);
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  dir?.remove();
  temp?.remove();
});

/** Compiler probes cached in the test's temp dir, never in the user's ~/.cache. */
function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, XDG_CACHE_HOME: temp.path };
}

function cli(args: string[], input?: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"], env: cliEnv() });
    children.push(child);
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    // Like a real client, keep our side open until the whole answer is read: EOF would mean "gone".
    if (input) {
      child.stdin.write(input);
      child.stdout.on("end", () => child.stdin.end());
    } else child.stdin.end();
  });
}

/** The server in the foreground with `args`, killed after the tests if still running; resolves once `port` answers. */
async function startCli(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: "ignore", env: cliEnv() });
  children.push(child);
  await waitForPort(port);
  return child;
}

/** The pid file's text once the server has written it whole (it may come just after the port opens). */
function pidFileText(pidFile: string): Promise<string> {
  return waitFor("the pid file", () =>
    existsSync(pidFile) && readFileSync(pidFile, "utf8").endsWith("\n") ? readFileSync(pidFile, "utf8") : undefined,
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

describe("distcc-server command line", () => {
  it("--version and --help", async () => {
    const v = await cli(["--version"]);
    expect(v.code).toBe(0);
    // distccd's two lines, as its own test suite (VersionOption_Case) and scripts read them, then ours.
    const [line1, line2, line3] = v.stdout.toString().split("\n");
    expect(line1).toMatch(/^distccd 3\.4 [.\w-]+$/);
    expect(line2).toBe("  (protocols 1, 2 and 3) (default port 3632)");
    expect(line3).toMatch(/^ {2}distcc-server \d+\.\d+\.\d+ /);
    const real = await run("distccd", ["--version"], { cwd: temp.path });
    expect(line1).toBe(real.stdout.split("\n")[0]);
    const h = await cli(["--help"]);
    expect(h.code).toBe(0);
    for (const flag of [
      "--allow",
      "--allow-private",
      "--jobs",
      "--job-lifetime",
      "--log-file",
      "--stats-port",
      "--inetd",
      "--pid-file",
    ]) {
      expect(h.stdout.toString()).toContain(flag);
    }
  });

  it("distccd's refusals of bad arguments: exit 101 (EXIT_BAD_ARGUMENTS), as distccd; GSS-API options say why", async () => {
    for (const args of [
      ["--allow", "10.9.0.0/33"],
      ["--lifetime=abc"],
      ["--auth"],
      ["--whitelist=/etc/distcc/principals"],
      ["gcc", "--bogus-option"],
    ]) {
      const ours = await cli(args);
      expect(ours.code, `${args.join(" ")}: ${ours.stderr}`).toBe(101);
      expect(ours.stderr).toMatch(/^distcc-server: /);
    }
    // The real distccd agrees where it knows the option (Debian's is built with GSS-API, so --auth
    // and --whitelist would start it).
    for (const args of [["--allow", "10.9.0.0/33"], ["--lifetime=abc"], ["gcc", "--bogus-option"]]) {
      expect((await run("distccd", args, { cwd: temp.path })).code, args.join(" ")).toBe(101);
    }
    expect((await cli(["--auth"])).stderr).toContain("GSS-API (Kerberos) authentication is not supported");
    expect((await cli(["--allow", "10.9.0.0/33"])).stderr).toMatch(/--allow "10\.9\.0\.0\/33"/);
  });

  it("--lifetime: the server exits by itself after that long, as distccd (its test suite relies on it)", async () => {
    const port = await freePort();
    const log = join(temp.path, "lifetime.log");
    const child = await startCli(port, [
      "--user",
      "root",
      "--lifetime",
      "1",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--log-file",
      log,
      "--temp-dir",
      temp.path,
    ]);
    expect(await exited(child)).toBe(0);
    expect(readFileSync(log, "utf8")).toContain("--lifetime 1 s reached");
  });

  it("lists the compilers it found at start (info), each with its names at debug; an IPv4 client on all addresses is logged as IPv4", async () => {
    const port = await freePort();
    const log = join(temp.path, "compilers.log");
    // No --listen: all addresses ("::"), where IPv4 clients arrive as ::ffff:127.0.0.1.
    const child = await startCli(port, [
      "--user",
      "root",
      "--log-level",
      "debug",
      "--port",
      String(port),
      "--log-file",
      log,
      "--temp-dir",
      temp.path,
    ]);
    const r = await run("distcc", ["gcc", "-c", "hello.c", "-o", "mapped.o"], {
      cwd: dir.path,
      env: distccEnv(`127.0.0.1:${port}`, dir.distccDir),
    });
    expect(r.code, r.stderr).toBe(0);
    await waitFor("the job's summary line in the log", () => readFileSync(log, "utf8").includes("(job_summary)"));
    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(/\(job_summary\) client: 127\.0\.0\.1:\d+ COMPILE_OK/);
    expect(text).not.toContain("::ffff:");
    expect(text).toMatch(/\(main\) \d+ compilers? found: .*gcc \d+[.\d]* c for x86_64-linux-gnu \(\d+ names?\)/);
    expect(text).toMatch(/\(main\) compiler gcc \d+[.\d]* c for x86_64-linux-gnu: .*\bgcc\b/);
  });

  it("bad flags and bad config files name the problem and exit 101", async () => {
    const bad = await cli(["--jobs", "zero"]);
    expect(bad.code).toBe(101);
    expect(bad.stderr).toContain('--jobs "zero": expected an integer from 1 to 1024');
    const config = join(temp.path, "bad.json");
    writeFileSync(config, JSON.stringify({ jobs: 2, logLevel: "chatty" }));
    const cfg = await cli(["--config", config]);
    expect(cfg.code).toBe(101);
    expect(cfg.stderr).toContain(
      '"logLevel" must be one of critical, error, warning, notice, info, debug (got "chatty")',
    );
  });

  it("serves real distcc, shows stats (distccd page, JSON, Prometheus), reopens its log on SIGHUP, stops on SIGTERM", async () => {
    const [port, statsPort] = [await freePort(), await freePort()];
    const log = join(temp.path, "server.log");
    const pidFile = join(temp.path, "server.pid");
    const config = join(temp.path, "good.json");
    writeFileSync(config, JSON.stringify({ jobs: 2, stats: true, statsPort, logLevel: "info" }));
    const child = await startCli(port, [
      "--user",
      "root",
      "--config",
      config,
      "--no-detach",
      "--daemon",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--log-file",
      log,
      "--pid-file",
      pidFile,
      "--nice",
      "0",
      "--temp-dir",
      temp.path,
    ]);
    expect((await pidFileText(pidFile)).trim()).toBe(String(child.pid));

    const r = await run("distcc", ["gcc", "-c", "hello.c", "-o", "hello.o"], {
      cwd: dir.path,
      env: distccEnv(`127.0.0.1:${port},lzo`, dir.distccDir),
    });
    expect(r.code, r.stderr).toBe(0);

    // The client has its object before the server has counted the job: wait for the count.
    const page = await waitFor("the stats page to count the job", async () => {
      const text = await httpGet(statsPort, "/");
      return text.includes("dcc_compile_ok 1\n") ? text : undefined;
    });
    expect(
      page.startsWith("HTTP/1.0 200 OK\nContent-Type: text/plain\nConnection: close\n\nargv /distccd\n<distccstats>\n"),
    ).toBe(true);
    expect(page).toContain("dcc_compile_ok 1\n");
    expect(page).toContain("dcc_max_kids 2\n");
    expect(page).toMatch(/dcc_longest_job hello\.c\n/);
    const json = JSON.parse((await httpGet(statsPort, "/json")).split("\r\n\r\n").slice(1).join("\r\n\r\n")) as {
      results: { COMPILE_OK: number };
    };
    expect(json.results.COMPILE_OK).toBe(1);
    expect(await httpGet(statsPort, "/metrics")).toContain('distcc_server_jobs_total{result="COMPILE_OK"} 1');

    await waitFor("the job's summary line in the log", () => readFileSync(log, "utf8").includes("(job_summary)"));
    const text = readFileSync(log, "utf8");
    expect(text).toMatch(
      /distcc-server\[\d+\] \(job_summary\) client: 127\.0\.0\.1:\d+ COMPILE_OK exit:0 sig:0 core:0 ret:0 time:\d+ms x86_64-linux-gnu-gcc hello\.c/,
    );
    expect(text).toContain("accepting clients from this machine only");

    renameSync(log, `${log}.1`);
    child.kill("SIGHUP");
    const reopened = (): boolean => existsSync(log) && readFileSync(log, "utf8").includes("log file reopened");
    await waitFor("the log file reopened after SIGHUP", reopened);
    expect(readFileSync(log, "utf8")).toContain("log file reopened");

    child.kill("SIGTERM");
    expect(await exited(child)).toBe(0);
    expect(existsSync(pidFile)).toBe(false);
  });

  it("--inetd serves one job on stdin/stdout", async () => {
    const r = await cli(["--inetd", "--temp-dir", temp.path], capture("p2-hello-c", "c2s"));
    expect(r.code).toBe(0);
    const response = decodeResponse(r.stdout, 2);
    expect(response.status).toBe(0);
    expect(response.object.length).toBe(decodeResponse(capture("p2-hello-c", "s2c"), 2).object.length);
  });

  it("works as distcc's ssh-mode command (DISTCC_HOSTS=@host:COMMAND runs COMMAND --inetd --enable-tcp-insecure)", async () => {
    const fakeSsh = join(temp.path, "fake-ssh");
    writeFileSync(
      fakeSsh,
      '#!/bin/sh\n# ssh [-l USER] HOST COMMAND...: run COMMAND here\nif [ "$1" = "-l" ]; then shift 2; fi\nshift\nexec "$@"\n',
    );
    const wrapper = join(temp.path, "server-cmd");
    writeFileSync(
      wrapper,
      `#!/bin/sh\nexec "${process.execPath}" "${CLI}" --temp-dir "${temp.path}" --cache-file "${temp.path}/cache.json" "$@"\n`,
    );
    chmodSync(fakeSsh, 0o755);
    chmodSync(wrapper, 0o755);
    const r = await run("distcc", ["gcc", "-O2", "-c", "hello.c", "-o", "ssh.o"], {
      cwd: dir.path,
      env: distccEnv(`@localhost:${wrapper},lzo`, dir.distccDir, { DISTCC_SSH: fakeSsh, DISTCC_VERBOSE: "1" }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ssh/);
    expect(existsSync(join(dir.path, "ssh.o"))).toBe(true);
  });

  it("--daemon starts in the background and returns; SIGTERM stops it", async () => {
    const port = await freePort();
    const pidFile = join(temp.path, "daemon.pid");
    const r = await cli([
      "--user",
      "root",
      "--daemon",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--pid-file",
      pidFile,
      "--log-file",
      join(temp.path, "daemon.log"),
      "--temp-dir",
      temp.path,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/running in the background, pid \d+/);
    await waitForPort(port);
    const pid = Number(await pidFileText(pidFile));
    process.kill(pid, "SIGTERM");
    await waitFor(`the daemon (pid ${pid}) to exit`, () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
        return true;
      }
    });
    await waitFor("the daemon's pid file to be removed", () => !existsSync(pidFile));
  });

  it("a temp dir where job folders cannot be made: clear message at start, exit 100", async () => {
    const r = await cli([
      "--user",
      "root",
      "--listen",
      "127.0.0.1",
      "--port",
      "0",
      "--temp-dir",
      join(temp.path, "missing"),
    ]);
    expect(r.code).toBe(100);
    expect(r.stderr).toMatch(/cannot create job folders in .*missing.*--temp-dir/);
    if (process.getuid?.() === 0) {
      const rootOnly = join(temp.path, "root-only");
      mkdirSync(rootOnly, { mode: 0o700 });
      const dropped = await cli(["--listen", "127.0.0.1", "--port", "0", "--temp-dir", rootOnly]);
      expect(dropped.code).toBe(100);
      expect(dropped.stderr).toMatch(/must be writable by user (distccd|nobody)/);
    }
  });

  it("a port in use: clear message, exit 102", async () => {
    const port = await freePort();
    const onPort = ["--user", "root", "--listen", "127.0.0.1", "--port", String(port), "--temp-dir", temp.path];
    const first = await startCli(port, onPort);
    const second = await cli(onPort);
    expect(second.code).toBe(102);
    expect(second.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is already in use/);
    // Detaching (--daemon), the parent exits with the copy's status: distcc's suite and init
    // scripts try the next port on 102.
    const detached = await cli(["--daemon", ...onPort]);
    expect(detached.code).toBe(102);
    expect(detached.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the port is already in use/);
    first.kill("SIGTERM");
    expect(await exited(first)).toBe(0);
  });

  it.runIf(process.getuid?.() === 0)(
    "started as root it runs as user distccd (or nobody), and still compiles",
    async () => {
      const port = await freePort();
      const shared = join(temp.path, "shared-tmp");
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      const child = await startCli(port, ["--listen", "127.0.0.1", "--port", String(port), "--temp-dir", shared]);
      await waitFor(
        "the server to drop root",
        () => (/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? "0") !== "0",
      );
      const r = await run("distcc", ["gcc", "-c", "hello.c", "-o", "dropped.o"], {
        cwd: dir.path,
        env: distccEnv(`127.0.0.1:${port}`, dir.distccDir),
      });
      expect(r.code, r.stderr).toBe(0);
      await waitFor(`the job folders in ${shared} to be removed`, () => readdirSync(shared).length === 0);
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
    },
  );
});
