import { spawn } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encodeRequest } from "@x/distcc-protocol";
import { freePort, unprivilegedUser, waitForPort, waitFor } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { exchange, httpGet } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

// The CLI server run as the unprivileged user: the sandbox works there too (--sandbox bwrap would
// refuse to start otherwise), limits end a bomb with a clear error, the server goes on.
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

describe("the server as the unprivileged user, --sandbox bwrap", () => {
  it("starts, reports the sandbox in /json, survives a memory bomb with a clear error, compiles, leaves nothing", async () => {
    const user = unprivilegedUser();
    const temp = mkdtempSync(join(tmpdir(), "distcc-unpriv-"));
    const cache = mkdtempSync(join(tmpdir(), "distcc-unpriv-cache-"));
    for (const d of [temp, cache]) chownSync(d, user.uid, user.gid);
    const [port, statsPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        CLI,
        "--listen",
        "127.0.0.1",
        "--port",
        String(port),
        "--stats",
        "--stats-port",
        String(statsPort),
        "--temp-dir",
        temp,
        "--sandbox",
        "bwrap",
        "--max-compiler-memory",
        "128",
      ],
      { stdio: "ignore", cwd: "/", env: { ...process.env, XDG_CACHE_HOME: cache }, uid: user.uid, gid: user.gid },
    );
    try {
      await waitForPort(port);
      await waitForPort(statsPort);
      const json = JSON.parse((await httpGet(statsPort, "/json")).split("\r\n\r\n").slice(1).join("\r\n\r\n")) as {
        sandbox?: unknown;
      };
      expect(json.sandbox).toEqual({ mode: "bwrap", state: "bwrap" });

      const bomb = encodeRequest({
        version: 1,
        argv: ["gcc", "-c", "big.c", "-o", "big.o"],
        source: Buffer.from(`${"\n".repeat(10_000_000)}int x;\n`),
      });
      const r = decodeResponse((await exchange(port, bomb)).bytes, 1);
      expect(r.status).not.toBe(0);
      expect(Buffer.from(r.stderr).toString()).toContain("--max-compiler-memory is 128 MiB");

      expect(decodeResponse((await exchange(port, capture("p1-hello-c", "c2s"))).bytes, 1).status).toBe(0);
      await waitFor("readdirSync(temp).length === 0", () => readdirSync(temp).length === 0);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(temp, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
