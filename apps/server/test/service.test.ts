import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, hasCommand, makeTempDir, unprivilegedUser, waitFor, waitForPort } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientDir, distccEnv, exchange, run } from "./helpers.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const SHIPPED_UNIT = fileURLToPath(new URL("../systemd/distcc-server.service", import.meta.url));

let temp: { path: string; remove(): void };
let dir: ReturnType<typeof clientDir>;
const children: ChildProcess[] = [];

beforeAll(() => {
  temp = makeTempDir("distcc-server-service-");
  dir = clientDir();
  writeFileSync(join(dir.path, "hello.c"), "int hello(void) { return 42; }\n");
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  temp?.remove();
  dir?.remove();
});

/** `[Section] Key=value` lines of a unit file (comments and blank lines dropped). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1] as string;
      continue;
    }
    const eq = line.indexOf("=");
    expect(eq, `not a key=value line: ${line}`).toBeGreaterThan(0);
    const key = `${section}.${line.slice(0, eq)}`;
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

function cli(
  args: string[],
  user?: { uid: number; gid: number },
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    cwd: "/",
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("distcc-server as a systemd service", () => {
  it("the shipped unit runs the bin as its own user, with /etc/distcc-server.json, reload = SIGHUP, log = journal", () => {
    const keys = unitKeys(readFileSync(SHIPPED_UNIT, "utf8"));
    expect(keys.get("Service.ExecStart")).toEqual([
      "distcc-server --config /etc/distcc-server.json --no-detach --log-stderr",
    ]);
    expect(keys.get("Service.ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
    expect(keys.get("Service.DynamicUser")).toEqual(["yes"]);
    expect(keys.get("Service.User")).toEqual(["distcc-server"]);
    expect(keys.get("Service.Type")).toEqual(["simple"]); // foreground: the server never detaches
    expect(keys.get("Service.CacheDirectory")).toEqual(["distcc-server"]);
    expect(keys.get("Install.WantedBy")).toEqual(["multi-user.target"]);
    // Nothing that puts the log anywhere but stderr (the journal), no --daemon.
    expect([...keys.keys()].some((k) => /StandardError|StandardOutput/.test(k))).toBe(false);
    expect(keys.get("Service.ExecStart")?.[0]).not.toMatch(/--daemon|--log-file|npx/);
  });

  it("service install writes the unit with this node and script, and seeds the config file once", () => {
    const root = join(temp.path, "root");
    const first = cli(["service", "install", "--root", root, "--allow", "192.168.7.0/24", "--jobs", "3"]);
    expect(first.code, first.stderr).toBe(0);
    const unitFile = join(root, "etc/systemd/system/distcc-server.service");
    const unit = readFileSync(unitFile, "utf8");
    const keys = unitKeys(unit);
    expect(keys.get("Service.ExecStart")).toEqual([
      `${process.execPath} ${CLI} --config /etc/distcc-server.json --no-detach --log-stderr`,
    ]);
    expect(keys.get("Service.ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
    expect(JSON.parse(readFileSync(join(root, "etc/distcc-server.json"), "utf8"))).toEqual({
      allow: ["192.168.7.0/24"],
      jobs: 3,
    });
    expect(cli(["service", "print"]).stdout).toBe(unit);

    // An existing config is the admin's: a second install leaves it alone and says so.
    const again = cli(["service", "install", "--root", root, "--jobs", "5"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("kept");
    expect(JSON.parse(readFileSync(join(root, "etc/distcc-server.json"), "utf8"))).toEqual({
      allow: ["192.168.7.0/24"],
      jobs: 3,
    });

    // Bad settings: exit 101, nothing written.
    const other = join(temp.path, "other-root");
    const bad = cli(["service", "install", "--root", other, "--jobs", "0"]);
    expect(bad.code).toBe(101);
    expect(bad.stderr).toContain('--jobs "0": expected an integer from 1 to 1024');
    const flagOnly = cli(["service", "install", "--root", other, "--config", "/x.json"]);
    expect(flagOnly.code).toBe(101);
    expect(existsSync(other)).toBe(false);

    // systemd's own check of the written unit (its ExecStart exists here); the key checks above
    // run everywhere.
    if (hasCommand("systemd-analyze")) {
      const verify = spawnSync("systemd-analyze", ["verify", unitFile], { encoding: "utf8", cwd: temp.path });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr).toBe("");
    }
  });

  it("as a user without privileges: /etc is refused with the sudo line, --root works, files are 0644", () => {
    const user = unprivilegedUser();
    // A fixture that user can reach (mkdtemp makes 0700 folders).
    const base = join(temp.path, "unprivileged");
    mkdirSync(base);
    chmodSync(temp.path, 0o755);
    chmodSync(base, 0o777);
    const refused = cli(["service", "install", "--allow", "10.0.0.0/8"], user);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("needs root: run `sudo distcc-server service install ...`");
    const root = join(base, "root");
    const ok = cli(["service", "install", "--root", root, "--allow", "10.0.0.0/8"], user);
    expect(ok.code, ok.stderr).toBe(0);
    for (const file of ["etc/systemd/system/distcc-server.service", "etc/distcc-server.json"]) {
      const st = statSync(join(root, file));
      expect(st.uid).toBe(user.uid);
      expect(st.mode & 0o777).toBe(0o644);
    }
  });

  it("SIGHUP (systemctl reload) re-reads the config file: the allow list and log level apply at once, a bad file changes nothing", async () => {
    const port = await freePort();
    const config = join(temp.path, "reload.json");
    writeFileSync(config, JSON.stringify({ allow: ["10.9.9.9"] }));
    const child = spawn(
      process.execPath,
      [
        CLI,
        "--config",
        config,
        "--listen",
        "127.0.0.1",
        "--port",
        String(port),
        "--user",
        "root",
        "--temp-dir",
        temp.path,
      ],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, XDG_CACHE_HOME: temp.path } },
    );
    children.push(child);
    let log = "";
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const logged = async (text: string, count = 1): Promise<void> => {
      await waitFor(`${count} x "${text}" in the log`, () => log.split(text).length - 1 >= count, {
        timeoutMs: 10_000,
        intervalMs: 20,
      });
    };
    await waitForPort(port);
    const compile = () =>
      run("distcc", ["gcc", "-c", "hello.c", "-o", "hello.o"], {
        cwd: dir.path,
        env: distccEnv(`127.0.0.1:${port}`, dir.distccDir),
      });

    // 127.0.0.1 is not in the list: reset, nothing answered (distcc itself would retry forever).
    const refused = await exchange(port, Buffer.from("DIST00000002"));
    expect(refused.bytes.length).toBe(0);
    await logged("refused connection from 127.0.0.1");

    writeFileSync(config, JSON.stringify({ allow: ["127.0.0.1"], logLevel: "info", jobs: 3 }));
    child.kill("SIGHUP");
    await logged("SIGHUP: reloaded");
    expect(log).toContain(
      `SIGHUP: reloaded ${config}: allow 127.0.0.1, log level info; changed but applied only after a restart: jobs`,
    );
    const ok = await compile();
    expect(ok.code, ok.stderr).toBe(0);
    await logged("(job_summary)"); // an info line: the new level is in force

    writeFileSync(config, "{ not json");
    child.kill("SIGHUP");
    await logged("keeping the running settings");
    expect((await compile()).code).toBe(0);

    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  });
});
