import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { HeaderStore, HeaderStoreError } from "./header-store.js";

const sha = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");
const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "header-store-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entryFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(dir, d)));

describe.each([
  ["in memory", () => undefined],
  ["on disk", () => join(temp(), "cache")],
])("HeaderStore %s", (_, where) => {
  it("keys content by the SHA-256 it computes itself and gives the same bytes back", async () => {
    const dir = where();
    const store = HeaderStore.open({ maxBytes: 1 << 20, ...(dir ? { dir } : {}) });
    const digest = await store.put(Buffer.from("#define X 1\n"));
    expect(digest).toBe(sha("#define X 1\n"));
    expect(store.has(digest)).toBe(true);
    expect(Buffer.from((await store.get(digest)) ?? []).toString()).toBe("#define X 1\n");
    expect(await store.get(sha("something never stored"))).toBeUndefined();
    // Storing it again changes nothing.
    await store.put(Buffer.from("#define X 1\n"));
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(12);
  });

  it("stays within its bound in bytes, least recently used out first", async () => {
    const dir = where();
    const store = HeaderStore.open({ maxBytes: 100, ...(dir ? { dir } : {}) });
    const a = await store.put(Buffer.alloc(40, "a"));
    const b = await store.put(Buffer.alloc(40, "b"));
    await store.get(a); // a is now more recent than b
    const c = await store.put(Buffer.alloc(40, "c"));
    expect(store.bytes).toBeLessThanOrEqual(100);
    expect([store.has(a), store.has(b), store.has(c)]).toEqual([true, false, true]);
    // Content bigger than the whole store is not kept (and evicts nothing).
    const big = await store.put(Buffer.alloc(101, "x"));
    expect(store.has(big)).toBe(false);
    expect([store.has(a), store.has(c)]).toEqual([true, true]);
    // Evicted files are unlinked in the background.
    if (dir)
      await waitFor("the evicted entries' files to go", () => entryFiles(dir).sort().join() === [a, c].sort().join());
  });
});

describe("HeaderStore on disk", () => {
  it("survives a restart: entries and their recency come back, leftovers of a dead writer go", async () => {
    const dir = join(temp(), "cache");
    const first = HeaderStore.open({ maxBytes: 1 << 20, dir });
    const a = await first.put(Buffer.from("first"));
    const b = await first.put(Buffer.from("second"));
    // A temporary file of a write that never finished, and a name that is no digest.
    writeFileSync(join(dir, a.slice(0, 2), ".tmp-0123456789ab"), "torn");
    writeFileSync(join(dir, b.slice(0, 2), "not-a-digest"), "x");
    const again = HeaderStore.open({ maxBytes: 1 << 20, dir });
    expect(again.size).toBe(2);
    expect(Buffer.from((await again.get(b)) ?? []).toString()).toBe("second");
    expect(existsSync(join(dir, a.slice(0, 2), ".tmp-0123456789ab"))).toBe(false);
    expect(existsSync(join(dir, b.slice(0, 2), "not-a-digest"))).toBe(false);
  });

  it("makes its directory 0700 and its entries 0600, and closes a directory others could read", async () => {
    const parent = temp();
    const dir = join(parent, "cache");
    const store = HeaderStore.open({ maxBytes: 1 << 20, dir });
    const d = await store.put(Buffer.from("x"));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, d.slice(0, 2), d)).mode & 0o777).toBe(0o600);
    chmodSync(dir, 0o755);
    HeaderStore.open({ maxBytes: 1 << 20, dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("refuses a path that is a file, with a typed error", () => {
    const parent = temp();
    writeFileSync(join(parent, "file"), "");
    expect(() => HeaderStore.open({ maxBytes: 1, dir: join(parent, "file") })).toThrow(HeaderStoreError);
    mkdirSync(join(parent, "ok"));
    expect(() => HeaderStore.open({ maxBytes: 1, dir: join(parent, "ok") })).not.toThrow();
  });
});
