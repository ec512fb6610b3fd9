// The README's main job: start a distcc server on loopback, build the bundled sample project through
// distcc-client with make, print where each file was compiled and the totals, stop everything.
// Run through scripts/demo.sh (which installs and builds first).
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = join(here, "..", "..", "..");
const { makeCompilerLinks, agentPaths } = await import(join(repo, "apps/client/dist/index.js"));

function fail(message) {
  console.error(`demo: ${message}`);
  process.exitCode = 1;
}
function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
async function waitPort(port, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise((r) => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => {
        c.destroy();
        r(true);
      });
      c.once("error", () => r(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
const onPath = (cmd) => (process.env.PATH ?? "").split(":").some((d) => d && existsSync(join(d, cmd)));

const work = mkdtempSync(join(tmpdir(), "distcc-demo-"));
chmodSync(work, 0o755);
const project = join(work, "project");
cpSync(join(here, "project"), project, { recursive: true });
const serverLog = join(work, "server.log");
const clientLog = join(work, "client.log");
const distccDir = join(work, "state");
mkdirSync(distccDir);

// 1. A server on loopback: ours when built, else Debian's distccd.
const port = await freePort();
const ourServer = join(repo, "apps/server/dist/cli.js");
let serverName;
let server;
if (existsSync(ourServer)) {
  serverName = "distcc-server";
  server = spawn(
    process.execPath,
    [
      ourServer,
      "--port",
      String(port),
      "--listen",
      "127.0.0.1",
      "--jobs",
      "4",
      "--log-file",
      serverLog,
      "--log-level",
      "info",
    ],
    { stdio: "ignore", detached: true },
  );
} else if (onPath("distccd")) {
  serverName = "distccd (Debian)";
  server = spawn(
    "distccd",
    [
      "--no-detach",
      "--daemon",
      "--listen",
      "127.0.0.1",
      "--port",
      String(port),
      "--jobs",
      "4",
      "--allow",
      "127.0.0.1",
      "--log-file",
      serverLog,
      "--log-level",
      "info",
    ],
    { stdio: "ignore", detached: true },
  );
} else {
  fail("no server: build apps/server or install Debian's distcc");
  process.exit(1);
}
const up = await waitPort(port, server);
console.log(`demo: ${serverName} listening on 127.0.0.1:${port}`);

let agentStarted = false;
try {
  if (!up) throw new Error(`${serverName} did not start (see ${serverLog})`);

  // 2. The compiler links (native launcher built with this machine's C compiler).
  const links = makeCompilerLinks(join(work, "links"), process.env);
  console.log(
    `demo: ${links.launcherPath}: ${links.launcher === "native" ? `native launcher built with ${links.builtWith}` : "Node launcher"}; ${links.names.length} compiler links`,
  );

  // 3. make -j4 through distcc-client.
  const env = {
    ...process.env,
    DISTCC_HOSTS: `127.0.0.1:${port}/4,lzo`,
    DISTCC_DIR: distccDir,
    DISTCC_LOG: clientLog,
    DISTCC_VERBOSE: "1",
  };
  for (const k of Object.keys(env)) if (k === "_DISTCC_SAFEGUARD") delete env[k];
  console.log(`demo: make -j4 CC="${links.launcherPath} gcc"  (DISTCC_HOSTS=${env.DISTCC_HOSTS})\n`);
  const t0 = performance.now();
  const make = spawnSync("make", ["-j4", `CC=${links.launcherPath} gcc`], { cwd: project, env, stdio: "inherit" });
  const seconds = (performance.now() - t0) / 1000;
  agentStarted = true;
  if (make.status !== 0) throw new Error(`make failed with status ${make.status}`);

  // 4. Where each file was compiled, from the client's log.
  const log = existsSync(clientLog) ? readFileSync(clientLog, "utf8") : "";
  const places = new Map();
  for (const line of log.split("\n")) {
    let m = /\] (\S+) compiled on (\S+) in (\d+) ms/.exec(line);
    if (m) places.set(m[1], `remote  ${m[2]} (${m[3]} ms)`);
    m = /\] (\S+) compiled locally \((.*)\)/.exec(line);
    if (m) places.set(m[1], `local   (${m[2]})`);
    m = /\] (.*): (.*): running locally$/.exec(line);
    if (m?.[1].includes("-o wordstat"))
      places.set("link: wordstat", `local   (not distributable: ${m[2].replace(/\s+/g, " ")})`);
    m = /failed to distribute (\S+) to (\S+): (.*)/.exec(line);
    if (m) console.log(`demo: helper ${m[2]} failed: ${m[3]}`);
  }
  const sources = readdirSync(project)
    .filter((f) => f.endsWith(".c"))
    .sort();
  console.log("\nwhere each file was compiled:");
  for (const s of sources) console.log(`  ${s.padEnd(10)} ${places.get(s) ?? "local   (see client log)"}`);
  for (const [k, v] of places) if (k.startsWith("link:")) console.log(`  ${"(link)".padEnd(10)} ${v}`);
  const remote = sources.filter((s) => (places.get(s) ?? "").startsWith("remote")).length;
  const serverJobs = existsSync(serverLog) ? (readFileSync(serverLog, "utf8").match(/COMPILE_OK/g) ?? []).length : 0;
  console.log(
    `\ntotals: ${sources.length} files, ${remote} compiled on the helper, ${sources.length - remote} locally; ` +
      `the server logged ${serverJobs} successful jobs; make took ${seconds.toFixed(2)} s`,
  );

  // 5. The program works.
  const out = spawnSync(join(project, "wordstat"), [], { encoding: "utf8" });
  console.log(`\n./wordstat says:\n${out.stdout}`);
  if (out.status !== 0) throw new Error("the built program failed");
  if (remote === 0) throw new Error("nothing was compiled remotely");
} catch (err) {
  fail(err.message);
} finally {
  if (agentStarted) {
    try {
      const pidFile = join(agentPaths({ DISTCC_DIR: distccDir }).agentDir, "agent.pid");
      process.kill(Number(readFileSync(pidFile, "utf8")), "SIGTERM");
    } catch {}
  }
  try {
    process.kill(-server.pid, "SIGTERM");
  } catch {
    server.kill("SIGTERM");
  }
  await new Promise((r) => setTimeout(r, 300));
  console.log(`demo: stopped ${serverName}`);
  if (process.exitCode) console.log(`demo: logs kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
