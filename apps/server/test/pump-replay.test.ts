import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, run, startTestServer, type TestServer } from "./helpers.js";
import { capture, decodeResponse } from "./wire.js";

let srv: TestServer;
let scratch: { path: string; remove(): void };

beforeAll(async () => {
  srv = await startTestServer();
  scratch = makeTempDir("pump-replay-");
});
afterAll(async () => {
  await srv?.stop();
  scratch?.remove();
});

function depWords(deps: Uint8Array | undefined): string[] {
  return Buffer.from(deps ?? [])
    .toString()
    .replace(/\\\n/g, " ")
    .split(/\s+/)
    .filter(Boolean);
}

async function textSection(object: Uint8Array, name: string): Promise<Buffer> {
  const obj = join(scratch.path, `${name}.o`);
  const bin = join(scratch.path, `${name}.text`);
  writeFileSync(obj, object);
  const r = await run("objcopy", ["-O", "binary", "--only-section=.text", obj, bin], { cwd: scratch.path });
  expect(r.code, r.stderr).toBe(0);
  const { readFileSync } = await import("node:fs");
  return readFileSync(bin);
}

describe("protocol 3 (pump) requests captured from real distcc, replayed against our server", () => {
  for (const name of ["p3-hello-c", "p3-hello-cpp", "p3-warning", "p3-deps-flags", "p3-debug", "p3-empty-header"]) {
    it(`${name}: same status, same code, same .d as distccd`, async () => {
      const ours = await exchange(srv.port, capture(name, "c2s"));
      const mine = decodeResponse(ours.bytes, 3);
      const theirs = decodeResponse(capture(name, "s2c"), 3);
      expect(mine.status, Buffer.from(mine.stderr).toString()).toBe(theirs.status);
      expect(mine.status).toBe(0);
      expect(Buffer.from(mine.stderr).toString()).toBe(Buffer.from(theirs.stderr).toString());
      expect(await textSection(mine.object, `${name}-ours`)).toEqual(
        await textSection(theirs.object, `${name}-theirs`),
      );
      // gcc wraps .d lines by the length of the (temporary) paths it was given, so compare the words.
      expect(depWords(mine.deps)).toEqual(depWords(theirs.deps));
      expect(depWords(mine.deps).length).toBeGreaterThan(1);
      // The job root is overwritten in the object (distccd leaves it in .debug_line_str, spec 8.4).
      expect(Buffer.from(mine.object).includes("distcc-server-")).toBe(false);
      expect(await srv.leftovers()).toEqual([]);
    });
  }

  it("p3-syntax-error: the compile error with gcc's source excerpt, no DOTO body, no DOTD", async () => {
    const ours = await exchange(srv.port, capture("p3-syntax-error", "c2s"));
    const mine = decodeResponse(ours.bytes, 3);
    const theirs = decodeResponse(capture("p3-syntax-error", "s2c"), 3);
    expect(mine.status).toBe(0x100);
    expect(mine.status).toBe(theirs.status);
    expect(Buffer.from(mine.stderr).toString()).toBe(Buffer.from(theirs.stderr).toString());
    expect(mine.object.length).toBe(0);
    expect(mine.deps).toBeUndefined();
    expect(await srv.leftovers()).toEqual([]);
  });
});
