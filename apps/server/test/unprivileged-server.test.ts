import { readdirSync } from "node:fs";
import { encodeRequest } from "@x/distcc-protocol";
import { unprivilegedUser, waitFor } from "@x/testkit";
import { describe, expect, it } from "vitest";
import { exchange, startCliServer } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

// The CLI server run as the unprivileged user: the sandbox works there too (--sandbox bwrap would
// refuse to start otherwise), limits end a bomb with a clear error, the server goes on.
describe("the server as the unprivileged user, --sandbox bwrap", () => {
  it("starts, reports the sandbox in /json, survives a memory bomb with a clear error, compiles, leaves nothing", async () => {
    const s = await startCliServer(["--sandbox", "bwrap", "--max-compiler-memory", "128"], {
      asUser: unprivilegedUser(),
    });
    try {
      expect(s.json.sandbox).toEqual({ mode: "bwrap", state: "bwrap" });

      const bomb = encodeRequest({
        version: 1,
        argv: ["gcc", "-c", "big.c", "-o", "big.o"],
        source: Buffer.from(`${"\n".repeat(10_000_000)}int x;\n`),
      });
      const r = decodeResponse((await exchange(s.port, bomb)).bytes, 1);
      expect(r.status).not.toBe(0);
      expect(Buffer.from(r.stderr).toString()).toContain("--max-compiler-memory is 128 MiB");

      expect(decodeResponse((await exchange(s.port, capture("p1-hello-c", "c2s"))).bytes, 1).status).toBe(0);
      await waitFor("the job folders to be removed", () => readdirSync(s.tempDir).length === 0);
    } finally {
      await s.stop();
    }
  });
});
