// After a compiler exits 0, its output is read back: a file it did not write is sent empty
// (distccd's dcc_open_read), any other read error fails the job with EXIT_IO_ERROR instead of
// passing for an empty object.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sendCompileRequest, type CompileRequest } from "@x/distcc-protocol";
import { makeTempDir, waitFor } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

let dir: { path: string; remove(): void };
let srv: TestServer;

beforeAll(async () => {
  dir = makeTempDir("output-read-");
  chmodSync(dir.path, 0o755);
  // Two whitelisted stand-in compilers: one writes nothing, one makes the output a directory
  // (EISDIR on read, as root too).
  writeFileSync(join(dir.path, "writes-nothing-cc"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  writeFileSync(
    join(dir.path, "output-is-dir-cc"),
    '#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then mkdir -p "$2"; fi; shift; done\nexit 0\n',
    { mode: 0o755 },
  );
  // What a compiler running the client's code could leave (a fresh attacker's try): a symlink to a
  // file only the server may read, and a FIFO whose open would block the whole server.
  writeFileSync(join(dir.path, "secret"), "server-only secret\n", { mode: 0o600 });
  writeFileSync(
    join(dir.path, "output-is-link-cc"),
    `#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then ln -s ${join(dir.path, "secret")} "$2"; fi; shift; done\nexit 0\n`,
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir.path, "output-is-fifo-cc"),
    '#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ "$1" = "-o" ]; then mkfifo "$2"; fi; shift; done\nexit 0\n',
    { mode: 0o755 },
  );
  const compilers = ["writes-nothing-cc", "output-is-dir-cc", "output-is-link-cc", "output-is-fifo-cc"].map((c) =>
    join(dir.path, c),
  );
  writeFileSync(join(dir.path, "list"), `${compilers.join("\n")}\n`);
  srv = await startTestServer({ whitelist: undefined, cmdList: { file: join(dir.path, "list") } });
});
afterAll(async () => {
  await srv?.stop();
  dir?.remove();
});

const request = (compiler: string): CompileRequest => ({
  version: 1,
  argv: [compiler, "-c", "x.i", "-o", "x.o"],
  source: Buffer.from("int x;\n"),
});

describe("reading the compiler's output", () => {
  it("a missing output is sent empty with the compiler's status, as distccd", async () => {
    const r = await sendCompileRequest({ host: "127.0.0.1", port: srv.port }, request("writes-nothing-cc"), {
      connectTimeoutMs: 5000,
      ioTimeoutMs: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.object.length).toBe(0);
  });

  it("an unreadable output fails the job with EXIT_IO_ERROR and says why", async () => {
    const before = srv.server.stats().results.OTHER;
    const r = await sendCompileRequest({ host: "127.0.0.1", port: srv.port }, request("output-is-dir-cc"), {
      connectTimeoutMs: 5000,
      ioTimeoutMs: 30_000,
    });
    expect(r.status).toBe(107 << 8);
    expect(r.object.length).toBe(0);
    expect(Buffer.from(r.stderr).toString()).toMatch(
      /^distcc-server: ERROR: cannot read the compiler's output .*is a directory, not a regular file/,
    );
    await waitFor(
      "srv.server.stats().results.OTHER === before + 1",
      () => srv.server.stats().results.OTHER === before + 1,
    );
    expect(srv.lines.some((l) => /^error \(serve_job\) .*cannot read the compiler's output/.test(l))).toBe(true);
  });

  it("an output left as a symlink is never read through (the linked file's bytes never come back)", async () => {
    const r = await sendCompileRequest({ host: "127.0.0.1", port: srv.port }, request("output-is-link-cc"), {
      connectTimeoutMs: 5000,
      ioTimeoutMs: 30_000,
    });
    expect(r.status).toBe(107 << 8);
    expect(Buffer.from(r.object).toString()).not.toContain("secret");
    expect(Buffer.from(r.stderr).toString()).toMatch(/is a symlink, not a regular file: refused/);
  });

  it("an output left as a FIFO fails its job at once and the server keeps serving", async () => {
    const r = await sendCompileRequest({ host: "127.0.0.1", port: srv.port }, request("output-is-fifo-cc"), {
      connectTimeoutMs: 5000,
      ioTimeoutMs: 30_000,
    });
    expect(r.status).toBe(107 << 8);
    expect(Buffer.from(r.stderr).toString()).toMatch(/is a FIFO, not a regular file: refused/);
    const next = await sendCompileRequest({ host: "127.0.0.1", port: srv.port }, request("writes-nothing-cc"), {
      connectTimeoutMs: 5000,
      ioTimeoutMs: 30_000,
    });
    expect(next.status).toBe(0);
  });
});
