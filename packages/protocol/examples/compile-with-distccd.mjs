#!/usr/bin/env node
// A third party compiling one file against a real distccd with @x/distcc-protocol:
// start Debian's distccd on a free loopback port, preprocess examples/hello.c locally, send a
// protocol 2 (LZO) request built by this package, check the object that comes back, stop distccd.
// Exit 0 on success; non-zero with a message saying what went wrong.
//
// Run from the repository (after `pnpm --filter @x/distcc-protocol build`):
//   node packages/protocol/examples/compile-with-distccd.mjs
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseWaitStatus, sendCompileRequest } from "@x/distcc-protocol";

const here = dirname(fileURLToPath(import.meta.url));
const say = (msg) => console.log(`[example] ${msg}`);

function fail(msg) {
  console.error(`[example] FAILED: ${msg}`);
  process.exitCode = 1;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`distccd exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = connect({ host: "127.0.0.1", port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`distccd is not listening on 127.0.0.1:${port} after ${ms} ms`);
}

/** distcc sends the compiler as <triple>-gcc; distccd only runs names listed in /usr/lib/distcc. */
function compilerName() {
  const triple = execFileSync("gcc", ["-dumpmachine"]).toString().trim();
  return existsSync(`/usr/lib/distcc/${triple}-gcc`) ? `${triple}-gcc` : "gcc";
}

function textSection(objectPath) {
  const out = `${objectPath}.text`;
  execFileSync("objcopy", ["-O", "binary", "--only-section=.text", objectPath, out]);
  return readFileSync(out);
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), "distcc-example-"));
  let distccd;
  try {
    // 1. A real distccd on loopback. As root it drops to user "distccd". Its own process group,
    //    because on SIGTERM distccd signals its whole group.
    const port = await freePort();
    distccd = spawn(
      "distccd",
      [
        "--no-detach",
        "--daemon",
        "--listen",
        "127.0.0.1",
        "--port",
        String(port),
        "--allow",
        "127.0.0.1",
        "--jobs",
        "1",
        "--log-stderr",
        "--log-level",
        "warning",
      ],
      { stdio: ["ignore", "ignore", "pipe"], detached: true },
    );
    let log = "";
    distccd.stderr.on("data", (d) => (log += d));
    distccd.on("error", (err) => fail(`cannot start distccd (apt-get install distcc): ${err.message}`));
    await waitForPort(port, distccd);
    say(`distccd listening on 127.0.0.1:${port} (pid ${distccd.pid})`);

    // 2. Preprocess locally, as the distcc client does (protocols 1 and 2).
    const source = join(here, "hello.c");
    const preprocessed = execFileSync("gcc", ["-O2", "-E", source], { maxBuffer: 64 << 20 });
    say(`preprocessed ${source}: ${preprocessed.length} bytes`);

    // 3. The request: DIST 2, ARGC/ARGV, DOTI (LZO1X-compressed by the encoder).
    const argv = [compilerName(), "-O2", "-c", "hello.c", "-o", "hello.o"];
    say(`sending protocol 2 request: ${argv.join(" ")}`);
    const response = await sendCompileRequest(
      { host: "127.0.0.1", port },
      { version: 2, argv, source: preprocessed },
      { ioTimeoutMs: 60_000 },
    );

    const status = parseWaitStatus(response.status);
    say(
      `response: DONE ${response.version}, STAT 0x${response.status.toString(16)} (${status.kind} ${status.kind === "exited" ? status.code : status.signal}), ` +
        `stderr ${response.stderr.length} bytes, stdout ${response.stdout.length} bytes, object ${response.object.length} bytes`,
    );
    if (response.stderr.length) process.stderr.write(response.stderr);
    if (response.status !== 0) return fail(`the remote compile failed\n${log}`);

    // 4. Check the object: an ELF relocatable whose .text equals a local gcc -c of the same file.
    const remote = join(work, "remote.o");
    writeFileSync(remote, response.object);
    const isElf = response.object[0] === 0x7f && Buffer.from(response.object.subarray(1, 4)).toString() === "ELF";
    const eType = response.object[16] | (response.object[17] << 8);
    if (!isElf || eType !== 1) return fail("the object is not an ELF relocatable file");
    const local = join(work, "local.o");
    execFileSync("gcc", ["-O2", "-c", source, "-o", local]);
    if (!textSection(remote).equals(textSection(local))) return fail(".text differs from a local gcc -c");
    say(`object OK: ELF relocatable, ${response.object.length} bytes, .text identical to a local gcc -c`);
  } finally {
    if (distccd?.pid && distccd.exitCode === null) {
      try {
        process.kill(-distccd.pid, "SIGTERM");
      } catch {
        distccd.kill("SIGTERM");
      }
      say("distccd stopped");
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => fail(`${err.code ? `${err.code}: ` : ""}${err.message}`));
