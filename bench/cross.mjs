// Mixed architectures (issue 6), the blog's two cases, once with real distcc 3.4 (distcc + distccd) and
// once with ours (distcc-client + distcc-server), in the same run:
//   A  the client's compiler is Gentoo's armv6j-hardfloat-linux-gnueabi-gcc (here a wrapper around
//      arm-linux-gnueabihf-gcc, only in the client's PATH); the helper has only arm-linux-gnueabihf-gcc.
//      Wanted: the job compiles on the helper (no local fallback) into an ARM object, with no symlink
//      made on the helper.
//   B  the client's plain `gcc` is the ARM cross compiler (as in a kernel build with CC=gcc on a Pi);
//      the helper's `gcc` is native x86-64. Wanted: remote job, ARM object, and that object links
//      (locally) into a program that runs under qemu-arm.
//   control  arm-linux-gnueabihf-gcc named explicitly compiles remotely into an ARM object.
// Each check prints one PASS or FAIL line (INFO lines are diagnostics; VERBOSE=1 shows them). Ours must
// pass all four; real distcc is expected to fail A and both B checks (bench/BASELINE-distcc.md, 4.).
//
// How "remote" is told apart from a fallback without taking the client's word for it: the client's
// compilers are logging wrappers, and one invocation without -E means the client compiled itself;
// the helper runs with logging wrappers (arm-linux-gnueabihf-gcc, x86_64-linux-gnu-gcc, gcc, cc) first
// in its PATH, so the compiler it ran through PATH is logged; and the checks set DISTCC_FALLBACK=0.
// Each client run gets a fresh DISTCC_DIR: a failed job puts the host on the client's backoff list,
// which would poison the next check (DISTCC_BACKOFF_PERIOD=0 is no way out: real distcc then retries
// a rejected job forever).
//
// Needs `pnpm build` first, distcc/distccd, arm-linux-gnueabihf-gcc (+ libc6-dev-armhf-cross) and
// qemu-user. Usage: node bench/cross.mjs   (PORT: first port, default 3760, ours on PORT+10;
// CLIENT_TIMEOUT: seconds before a client run counts as hung, default 60; QEMU: default qemu-arm, empty
// to skip running the program; BENCH_TMP: scratch, default /tmp/distcc-bench-cross-PORT, kept.)
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { elfMachine } from "./lib/objects.mjs";
import { clientCli, distccdArgv, oursServerArgv, serverCli, startServer } from "./lib/servers.mjs";
import { ProcessGroups, SYSTEM_PATH, has } from "./lib/system.mjs";

const TRIPLE = "arm-linux-gnueabihf";
const GENTOO = "armv6j-hardfloat-linux-gnueabi-gcc";
const port = Number(process.env.PORT ?? 3760);
const clientTimeout = process.env.CLIENT_TIMEOUT ?? "60";
const qemu = process.env.QEMU ?? "qemu-arm";
const verbose = process.env.VERBOSE === "1";

const missing = [
  ...[clientCli, serverCli].filter((f) => !existsSync(f)).map((f) => `${f} (run pnpm build)`),
  ...["distcc", "distccd", `${TRIPLE}-gcc`, "readelf", "timeout"].filter((c) => !has(c)),
];
if (missing.length) {
  console.error(`cross: missing ${missing.join(", ")}`);
  process.exit(2);
}

const sides = [
  {
    name: "real distcc 3.4 (distcc + distccd)",
    port,
    client: ["distcc"],
    server: distccdArgv,
    // informational: does distccd run the Gentoo name once its compiler whitelist is off?
    insecureArgs: ["--enable-tcp-insecure"],
  },
  {
    name: "ours (distcc-client + distcc-server)",
    ours: true,
    port: port + 10,
    client: [process.execPath, clientCli],
    server: oursServerArgv,
    // each client run starts an agent in its own DISTCC_DIR: stop it, not leave it to its idle timeout
    after: (env) => spawnSync(process.execPath, [clientCli, "agent", "stop"], { env, stdio: "ignore" }),
  },
];

/** A compiler wrapper that logs "NAME ARGS" to logFile, then execs the real compiler. */
function loggingWrapper(path, real, logFile) {
  writeFileSync(path, `#!/bin/sh\nprintf '%s %s\\n' "$(basename "$0")" "$*" >>'${logFile}'\nexec '${real}' "$@"\n`, {
    mode: 0o755,
  });
}

async function runSide(side) {
  const W = process.env.BENCH_TMP ?? `/tmp/distcc-bench-cross-${side.port}`;
  const lines = [];
  const say = (kind, text) => lines.push(`${kind} ${text}`);
  const procs = new ProcessGroups();
  rmSync(W, { recursive: true, force: true });
  for (const d of ["cbin-a", "cbin-b", "sbin", "out"]) mkdirSync(join(W, d), { recursive: true });
  const clientLog = join(W, "client.log");
  const serverLog = join(W, "server.log");
  loggingWrapper(join(W, "cbin-a", GENTOO), `/usr/bin/${TRIPLE}-gcc`, clientLog);
  loggingWrapper(join(W, "cbin-b", "gcc"), `/usr/bin/${TRIPLE}-gcc`, clientLog);
  loggingWrapper(join(W, "cbin-b", "cc"), `/usr/bin/${TRIPLE}-gcc`, clientLog);
  for (const c of [`${TRIPLE}-gcc`, "x86_64-linux-gnu-gcc", "gcc", "cc"])
    loggingWrapper(join(W, "sbin", c), `/usr/bin/${c}`, serverLog);
  writeFileSync(
    join(W, "hello.c"),
    '#include <stdio.h>\nint main(void) { printf("hello from %s\\n", sizeof(void *) == 4 ? "a 32-bit target" : "a 64-bit target"); return 0; }\n',
  );
  // distccd started as root runs jobs as user distccd: it must write the logs and read the sources
  for (const d of ["", "cbin-a", "cbin-b", "sbin", "out"]) chmodSync(join(W, d), 0o777);
  for (const f of [clientLog, serverLog]) {
    writeFileSync(f, "");
    chmodSync(f, 0o666);
  }

  const serverEnv = { ...process.env, PATH: `${join(W, "sbin")}:${SYSTEM_PATH}` };
  let serverPid;
  const start = async (tag, extra = []) => {
    const logFile = join(W, `server-${tag}.log`);
    serverPid = await startServer(procs, [...side.server({ port: side.port, jobs: 2, logFile }), ...extra], {
      port: side.port,
      logFile,
      env: serverEnv,
    });
    return logFile;
  };
  const serverLogTail = (logFile, re) =>
    existsSync(logFile)
      ? readFileSync(logFile, "utf8")
          .split("\n")
          .filter((l) => re.test(l))
          .slice(-3)
      : [];

  let rc = 0;
  const clientRan = () => readFileSync(clientLog, "utf8");
  // the client compiled itself when one of its compilers ran without -E
  const compiledLocally = () =>
    clientRan()
      .split("\n")
      .some((l) => / -c\b/.test(l) && !/ -E\b/.test(l));
  const runClient = (tag, pathPrefix, env, argv) => {
    writeFileSync(clientLog, "");
    writeFileSync(serverLog, "");
    const dd = join(W, `dd-${tag}`);
    rmSync(dd, { recursive: true, force: true });
    mkdirSync(dd);
    const clientEnv = {
      ...process.env,
      PATH: pathPrefix ? `${pathPrefix}:${SYSTEM_PATH}` : SYSTEM_PATH,
      DISTCC_HOSTS: `127.0.0.1:${side.port}/2`,
      DISTCC_VERBOSE: "1",
      DISTCC_DIR: dd,
      ...env,
    };
    const r = spawnSync("timeout", [clientTimeout, ...side.client, ...argv], {
      cwd: W,
      env: clientEnv,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    side.after?.(clientEnv);
    rc = r.status ?? 128;
    writeFileSync(join(W, "out", `${tag}.stdout`), r.stdout ?? "");
    writeFileSync(join(W, "out", `${tag}.stderr`), r.stderr ?? "");
    const oneLine = (t) => t.trim().split("\n").join(";");
    say(
      "INFO",
      `${tag}: exit ${rc}; client ran: ${oneLine(clientRan())}; server ran: ${oneLine(readFileSync(serverLog, "utf8"))}`,
    );
    for (const l of (r.stderr ?? "")
      .split("\n")
      .filter((l) => /Re-?writing|ERROR|error|warning|failed|fallback|CRIT/.test(l) && !l.includes("dcc_trace"))
      .slice(0, 8))
      say("INFO", `${tag} stderr: ${l}`);
  };
  const object = (name) => join(W, "out", name);
  const fresh = (name) => rmSync(object(name), { force: true });

  try {
    let logA = await start("a");

    // A: the Gentoo name, which the helper does not have
    runClient("A-nofallback", join(W, "cbin-a"), { DISTCC_FALLBACK: "0" }, [GENTOO, "-c", "hello.c", "-o", "out/a.o"]);
    let m = elfMachine(object("a.o"));
    say("INFO", `A-nofallback: object machine: ${m ?? "none"}`);
    if (rc === 0 && m === "ARM" && !compiledLocally())
      say("PASS", `A: ${GENTOO} compiled remotely to an ARM object (no fallback, no server symlink)`);
    else say("FAIL", `A: ${GENTOO} not compiled remotely to ARM (exit ${rc}, object ${m ?? "none"})`);
    for (const l of serverLogTail(logA, /dcc_job_summary|whitelist|not found|CRIT|ERROR/))
      say("INFO", `A server log: ${l}`);
    fresh("a.o");
    runClient("A-fallback", join(W, "cbin-a"), {}, [GENTOO, "-c", "hello.c", "-o", "out/a.o"]);
    m = elfMachine(object("a.o"));
    say(
      "INFO",
      `A-fallback (default settings): exit ${rc}, object ${m ?? "none"}, compiled ${compiledLocally() ? "locally (fallback)" : "remotely"}`,
    );

    if (side.insecureArgs) {
      await procs.stop(serverPid);
      logA = await start("a-insecure", side.insecureArgs);
      fresh("a.o");
      runClient("A-insecure", join(W, "cbin-a"), { DISTCC_FALLBACK: "0" }, [GENTOO, "-c", "hello.c", "-o", "out/a.o"]);
      say(
        "INFO",
        `A-insecure (server ${side.insecureArgs.join(" ")}, whitelist off): exit ${rc}, object ${elfMachine(object("a.o")) ?? "none"}`,
      );
      for (const l of serverLogTail(logA, /dcc_job_summary|not found|No such|CRIT|ERROR/))
        say("INFO", `A-insecure server log: ${l}`);
      await procs.stop(serverPid);
      await start("b");
    }

    // B: plain gcc is the ARM compiler on the client, x86-64 on the helper
    const dumpmachine = (path) =>
      spawnSync("gcc", ["-dumpmachine"], { env: { ...process.env, PATH: path }, encoding: "utf8" }).stdout.trim();
    say(
      "INFO",
      `client: gcc -dumpmachine = ${dumpmachine(`${join(W, "cbin-b")}:${SYSTEM_PATH}`)}; server: gcc -dumpmachine = ${dumpmachine(SYSTEM_PATH)}`,
    );
    fresh("b.o");
    runClient("B-nofallback", join(W, "cbin-b"), { DISTCC_FALLBACK: "0" }, ["gcc", "-c", "hello.c", "-o", "out/b.o"]);
    m = elfMachine(object("b.o"));
    say("INFO", `B-nofallback: object machine: ${m ?? "none"}`);
    if (rc === 0 && m === "ARM" && !compiledLocally())
      say("PASS", "B: plain gcc (ARM on client) compiled remotely to an ARM object");
    else
      say("FAIL", `B: plain gcc (ARM on client) did not give a remote ARM object (exit ${rc}, object ${m ?? "none"})`);
    if (m === "ARM" && qemu && has(qemu)) {
      const link = spawnSync(`${TRIPLE}-gcc`, [object("b.o"), "-o", object("b.elf")], { encoding: "utf8" });
      const prog =
        link.status === 0
          ? spawnSync(qemu, ["-L", `/usr/${TRIPLE}`, object("b.elf")], { encoding: "utf8" })
          : undefined;
      const printed = prog?.stdout.trim();
      if (prog?.status !== 0) say("FAIL", "B: ARM object did not link or run");
      else if (printed === "hello from a 32-bit target")
        say("PASS", `B: linked ARM program runs under ${qemu}: '${printed}'`);
      else say("FAIL", `B: ARM program printed '${printed}'`);
    } else {
      say("FAIL", "B: no ARM object to link and run");
    }
    fresh("b.o");
    runClient("B-norewrite", join(W, "cbin-b"), { DISTCC_FALLBACK: "0", DISTCC_NO_REWRITE_CROSS: "1" }, [
      "gcc",
      "-c",
      "hello.c",
      "-o",
      "out/b.o",
    ]);
    say("INFO", `B-norewrite (DISTCC_NO_REWRITE_CROSS=1): exit ${rc}, object ${elfMachine(object("b.o")) ?? "none"}`);
    fresh("b.o");
    runClient("B-cc", join(W, "cbin-b"), { DISTCC_FALLBACK: "0" }, ["cc", "-c", "hello.c", "-o", "out/b.o"]);
    say("INFO", `B-cc (client 'cc' = ARM): exit ${rc}, object ${elfMachine(object("b.o")) ?? "none"}`);

    // control: the helper has this exact name
    fresh("c.o");
    runClient("C", "", { DISTCC_FALLBACK: "0" }, [`${TRIPLE}-gcc`, "-c", "hello.c", "-o", "out/c.o"]);
    m = elfMachine(object("c.o"));
    const viaPath = readFileSync(serverLog, "utf8")
      .split("\n")
      .some((l) => l.startsWith(`${TRIPLE}-gcc`));
    if (rc === 0 && m === "ARM")
      say(
        "PASS",
        `control: ${TRIPLE}-gcc ${viaPath ? "compiled remotely to ARM" : "gave ARM (server ran it outside the PATH wrappers)"}`,
      );
    else say("FAIL", `control: ${TRIPLE}-gcc (exit ${rc}, object ${m ?? "none"})`);
  } catch (err) {
    say("FAIL", `${side.name}: ${err.message}`);
  } finally {
    await procs.stopAll();
  }
  say("INFO", `details: ${W}/out/*.stderr, server logs ${W}/server-*.log`);
  return lines;
}

let oursFails = -1;
const summary = [];
for (const side of sides) {
  const t0 = performance.now();
  const lines = await runSide(side);
  const checks = lines.filter((l) => /^(PASS|FAIL) /.test(l));
  const fails = checks.filter((l) => l.startsWith("FAIL")).length;
  console.log(
    `\n--- ${side.name}: ${checks.length - fails} PASS, ${fails} FAIL (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );
  for (const l of verbose ? lines : checks) console.log(`  ${l}`);
  summary.push(`${checks.length - fails}/${checks.length} PASS`);
  if (side.ours) oursFails = checks.length > 0 ? fails : -1;
}
console.log(`\nours: ${summary[1]}; real distcc: ${summary[0]}`);
process.exit(oursFails === 0 ? 0 : 1);
