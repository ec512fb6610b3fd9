// The header cache between our two ends (docs/protocol-extensions.md, "Header cache"): once our
// server confirmed a pump job's set of headers, the same compile sends the source and one digest;
// a server that lost them (restart) gets them again, and the object is always the local one.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendCompileJob } from "@x/distcc-protocol";
import { makeTempDir, unprivilegedUser } from "@x/testkit";
import { clientEnv, disassemble, makeLinks, run, stopAgent } from "./helpers.js";
import { startDistccServer, type ServerHandle } from "./our-server.js";
import { startRecordingProxy, type RecordingProxy } from "./recording-proxy.js";

const tmp = makeTempDir("client-header-cache-");
let launcher = "";

beforeAll(() => {
  // The unprivileged server reads nothing of the client's, but its cache dir lives under here.
  chmodSync(tmp.path, 0o755);
  ({ launcher } = makeLinks(join(tmp.path, "links")));
});
afterAll(() => tmp.remove());

function project(name: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(join(dir, "include"), { recursive: true });
  writeFileSync(join(dir, "include", "app.h"), "#include <string.h>\n#define VALUE 42\n");
  writeFileSync(
    join(dir, "main.c"),
    '#include <stdio.h>\n#include "app.h"\nint value(const char *s) { return (int)strlen(s) + VALUE; }\n',
  );
  return dir;
}

/** Compiles main.c through `host` and checks the object is the local compile's code. */
async function compile(dir: string, state: string, host: string): Promise<string> {
  const env = clientEnv(state, `${host},cpp,lzo`, { DISTCC_FALLBACK: "0", DISTCC_VERBOSE: "1" });
  const remote = await run(launcher, ["gcc", "-O2", "-Iinclude", "-c", "main.c", "-o", "main.o"], { cwd: dir, env });
  expect(remote.code, remote.stderr).toBe(0);
  expect(remote.stderr).toMatch(/protocol 3/);
  renameSync(join(dir, "main.o"), join(dir, "remote.o"));
  const local = await run("gcc", ["-O2", "-Iinclude", "-c", "main.c", "-o", "main.o"], { cwd: dir, env: process.env });
  expect(local.code, local.stderr).toBe(0);
  expect(await disassemble(join(dir, "remote.o"))).toBe(await disassemble(join(dir, "main.o")));
  return remote.stderr;
}

const text = (b: Buffer): string => b.toString("latin1");

describe("header cache, our client and our server", () => {
  let server: ServerHandle | undefined;
  let proxy: RecordingProxy | undefined;
  const state = join(tmp.path, "state");
  afterAll(async () => {
    await stopAgent(state);
    await proxy?.stop();
    await server?.stop();
  });

  it("a warm compile sends the source and one reference; a changed header goes by per-file references; a restarted server gets bodies again", async () => {
    server = await startDistccServer({ jobs: 2, cacheDir: join(tmp.path, "xdg") });
    proxy = await startRecordingProxy({ port: server.port });
    const dir = project("p");
    const last = (): Buffer => proxy!.requests().at(-1) as Buffer;

    await compile(dir, state, proxy.host); // learns the host is ours
    await compile(dir, state, proxy.host); // bodies; the server stores them and confirms the set
    const cold = last();
    expect(text(cold)).toMatch(/^XREQ/);
    expect(text(cold)).not.toContain('"set"');
    expect(text(cold)).toContain("/usr/include/stdio.h");

    await compile(dir, state, proxy.host);
    const warm = last();
    expect(text(warm)).toMatch(/"headers":\{"set":"[0-9a-f]{64}"/);
    expect(text(warm)).not.toContain("/usr/include/stdio.h");
    expect(text(warm)).not.toContain("include/app.h");
    expect(warm.length).toBeLessThan(cold.length / 10);

    // The source changes: still the set (the source is never part of it).
    writeFileSync(
      join(dir, "main.c"),
      '#include <stdio.h>\n#include "app.h"\nint value(const char *s) { return (int)strlen(s) * VALUE; }\n',
    );
    await compile(dir, state, proxy.host);
    expect(text(last())).toMatch(/"set":"/);

    // A header changes: another set; the files the server holds go as references, app.h with its
    // new body (the object proves the new VALUE was used, not the stored one).
    writeFileSync(join(dir, "include", "app.h"), "#include <string.h>\n#define VALUE 7\n");
    await compile(dir, state, proxy.host);
    const changed = last();
    expect(text(changed)).toMatch(/"refs":\[\[\d+,"[0-9a-f]{64}"\]/);
    expect(text(changed)).not.toContain('"set"');
    expect(changed.length).toBeLessThan(cold.length / 2);
    await compile(dir, state, proxy.host);
    expect(text(last())).toMatch(/"set":"/);

    // The server restarts with an empty (memory) cache: the set is missing there, the job is sent
    // again with its bodies on a second connection, and the object is right.
    const port = server.port;
    await server.stop();
    server = await startDistccServer({ jobs: 2, cacheDir: join(tmp.path, "xdg"), port });
    const before = proxy.requests().length;
    const said = await compile(dir, state, proxy.host);
    expect(said).toMatch(/no longer holds \d+ header\(s\): sending main\.c again with bodies/);
    const sent = proxy.requests().slice(before);
    expect(sent).toHaveLength(2);
    expect(text(sent[0] as Buffer)).toMatch(/"set":"/);
    expect(text(sent[1] as Buffer)).not.toContain('"set"');
    expect(text(sent[1] as Buffer)).toContain("/usr/include/stdio.h");
    expect(server.log()).toMatch(/header cache: \d+ referenced file\(s\) not held here/);
    // And warm again.
    await compile(dir, state, proxy.host);
    expect(text(last())).toMatch(/"set":"/);
  });

  it("a reference to content the server does not hold is answered 'missing' and nothing is compiled", async () => {
    const srv = await startDistccServer({ jobs: 1, cacheDir: join(tmp.path, "xdg2") });
    try {
      const bogus = "ab".repeat(32);
      const ex = await sendCompileJob(
        { host: "127.0.0.1", port: srv.port },
        {
          version: 3,
          cwd: "/tmp",
          argv: ["gcc", "-c", "x.c", "-o", "x.o"],
          files: [
            { kind: "file", name: "/tmp/x.c", content: Buffer.from('#include "y.h"\nint x = Y;\n') },
            { kind: "file", name: "/tmp/y.h", content: new Uint8Array(0) },
          ],
        },
        { extension: { v: 1, compression: "lzo", headers: { refs: [[1, bogus]], exclude: [0] } }, readTrailer: true },
      );
      expect(ex.response.status).not.toBe(0);
      expect(ex.response.object.length).toBe(0);
      expect(ex.trailer?.headers?.missing).toEqual([bogus]);
      expect(ex.trailer?.features).toContain("headers");
      expect(srv.log()).not.toMatch(/COMPILE_(OK|ERROR)/);
    } finally {
      await srv.stop();
    }
  });
});

describe("header cache on disk, server run as the unprivileged user", () => {
  it("keeps its entries in a 0700 directory of that user, across a restart", async () => {
    const user = unprivilegedUser();
    const base = join(tmp.path, "disk");
    mkdirSync(base);
    chownSync(base, user.uid, user.gid);
    const cacheDir = join(base, "headers");
    const state = join(tmp.path, "state-disk");
    const opts = { jobs: 2, cacheDir: join(base, "xdg"), user, extraArgs: ["--cache-dir", cacheDir] };
    let server = await startDistccServer(opts);
    const proxy = await startRecordingProxy({ port: server.port });
    try {
      const dir = project("disk-project");
      await compile(dir, state, proxy.host);
      await compile(dir, state, proxy.host); // stored
      const st = statSync(cacheDir);
      expect([st.uid, st.mode & 0o777]).toEqual([user.uid, 0o700]);
      const entries = readdirSync(cacheDir).flatMap((fan) =>
        readdirSync(join(cacheDir, fan)).map((f) => join(cacheDir, fan, f)),
      );
      expect(entries.length).toBeGreaterThan(3);
      for (const e of entries) expect([statSync(e).uid, statSync(e).mode & 0o777]).toEqual([user.uid, 0o600]);
      // Another user cannot read what clients sent.
      if (process.getuid?.() === 0 && user.uid !== 0) {
        const peek = spawnSync("ls", [cacheDir], { uid: 65534, gid: 65534 });
        expect(peek.status).not.toBe(0);
      }

      // Restarted on the same directory: the set is still there, the first job after it is warm.
      const port = server.port;
      await server.stop();
      server = await startDistccServer({ ...opts, port });
      const before = proxy.requests().length;
      await compile(dir, state, proxy.host);
      const sent = proxy.requests().slice(before);
      expect(sent).toHaveLength(1);
      expect(text(sent[0] as Buffer)).toMatch(/"set":"/);
    } finally {
      await stopAgent(state);
      await proxy.stop();
      await server.stop();
    }
  });

  it("refuses to start on a cache directory that belongs to someone else, saying why", async () => {
    const user = unprivilegedUser();
    // A directory of root's: made here when the tests run as root, else one the system has.
    let foreign = "/var/tmp";
    if (process.getuid?.() === 0) {
      foreign = join(tmp.path, "foreign");
      mkdirSync(foreign, { mode: 0o755 });
    }
    await expect(
      startDistccServer({ jobs: 1, cacheDir: join(tmp.path, "xdg3"), user, extraArgs: ["--cache-dir", foreign] }),
    ).rejects.toThrow(/--cache-dir \S+ belongs to uid 0, not to this server's user/);
  });
});
