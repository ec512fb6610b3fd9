// What a compile can see of the host (attacker report B5): the system's programs and libraries,
// not the rest of the file system. A pump job's source that includes a host file by absolute path
// gets "No such file" in the sandbox, where without it gcc printed the file's lines in its errors;
// normal and cross compiles still work. As root (who can read /root) and as the unprivileged user.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRequest, type CompileRequest } from "@x/distcc-protocol";
import { freePort, hasCommand, unprivilegedUser, waitForPort } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, startTestServer } from "./helpers.js";
import { decodeResponse } from "./wire.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const user = unprivilegedUser();

// Host files the server's user can read, with a line that must never come back.
const HOME_DIR = "/home/distcc-sandbox-view-test";
const ROOT_FILE = "/root/distcc-sandbox-view-secret.h";
beforeAll(() => {
  mkdirSync(HOME_DIR, { recursive: true });
  chmodSync(HOME_DIR, 0o755);
  writeFileSync(join(HOME_DIR, "secret.h"), "HOME_SECRET_LINE_31337 x\n", { mode: 0o644 });
  writeFileSync(ROOT_FILE, "ROOT_SECRET_LINE_31337 x\n", { mode: 0o644 });
});
afterAll(() => {
  rmSync(HOME_DIR, { recursive: true, force: true });
  rmSync(ROOT_FILE, { force: true });
});

const pump = (included: string): CompileRequest => ({
  version: 3,
  cwd: "/src",
  argv: ["gcc", "-c", "x.c", "-o", "x.o"],
  files: [{ kind: "file", name: "/src/x.c", content: Buffer.from(`#include "${included}"\nint x;\n`) }],
});
const plain = (argv: string[]): CompileRequest => ({
  version: 2,
  argv,
  source: Buffer.from("int hello(void) { return 42; }\n"),
});

interface Case {
  name: string;
  included: string;
  secret: RegExp;
  /** The unprivileged user cannot read it anyway (/root is 0700). */
  rootOnly?: boolean;
}
const CASES: Case[] = [
  { name: "/etc/passwd", included: "/etc/passwd", secret: /root:x?:0:0/ },
  { name: "a file under /home", included: join(HOME_DIR, "secret.h"), secret: /HOME_SECRET_LINE_31337/ },
  { name: "a file under /root", included: ROOT_FILE, secret: /ROOT_SECRET_LINE_31337/, rootOnly: true },
];

const COMPILERS = [
  ["gcc", "x.c"],
  ["g++", "x.cc"],
  ["clang", "x.c"],
  ["arm-linux-gnueabihf-gcc", "x.c"],
  ["aarch64-linux-gnu-gcc", "x.c"],
].filter(([cc]) => hasCommand(cc!));

async function checkServer(port: number, asRoot: boolean): Promise<void> {
  for (const c of CASES) {
    const r = decodeResponse((await exchange(port, encodeRequest(pump(c.included)))).bytes, 3);
    const stderr = Buffer.from(r.stderr).toString();
    expect(r.status, `${c.name}: ${stderr}`).not.toBe(0);
    expect(stderr).not.toMatch(c.secret);
    // Not there at all (root could read /root if it were): not a permission error.
    if (asRoot || !c.rootOnly) expect(stderr, c.name).toMatch(/No such file or directory/);
  }
  for (const [cc, file] of COMPILERS) {
    const r = decodeResponse(
      (await exchange(port, encodeRequest(plain([cc!, "-O2", "-c", file!, "-o", "x.o"])))).bytes,
      2,
    );
    expect(r.status, `${cc}: ${Buffer.from(r.stderr).toString()}`).toBe(0);
    expect(r.object.length).toBeGreaterThan(400);
  }
}

describe("what a sandboxed compile sees of the host", () => {
  it("as root (in-process server): host files are not there, every compiler installed here still compiles", async () => {
    expect(COMPILERS.map(([cc]) => cc)).toContain("gcc");
    const srv = await startTestServer({ sandbox: "bwrap" });
    try {
      await checkServer(srv.port, true);
    } finally {
      await srv.stop();
    }
  });

  it("as the unprivileged user (CLI server): the same", async () => {
    const temp = mkdtempSync(join(tmpdir(), "distcc-view-"));
    const cache = mkdtempSync(join(tmpdir(), "distcc-view-cache-"));
    for (const d of [temp, cache]) chownSync(d, user.uid, user.gid);
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [CLI, "--listen", "127.0.0.1", "--port", String(port), "--temp-dir", temp, "--sandbox", "bwrap"],
      {
        stdio: "ignore",
        cwd: "/",
        env: { ...process.env, XDG_CACHE_HOME: cache },
        uid: user.uid,
        gid: user.gid,
      },
    );
    try {
      await waitForPort(port);
      await checkServer(port, false);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(temp, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
