import { randomBytes } from "node:crypto";
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import type { CompileRequest, PumpEntry } from "@x/distcc-protocol";
import { makeTempDir } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { applyHeaderRefs, HeaderRefsError, manifestText } from "./header-refs.js";
import { HeaderStore } from "./header-store.js";
import { BudgetShare, MemoryBudget } from "./memory-budget.js";

// What a hostile client can make the server read, hold and place with a few bytes of list
// (docs/security.md, "Header cache"). The stores are on disk (--cache-dir), where every read of an
// entry is a fresh buffer.

const MiB = 1 << 20;
/** The server's (SERVER_LIMITS and DEFAULT_TREE_BOUNDS). */
const BOUNDS = { maxTotal: 512 * MiB, maxFiles: 32_768, maxNameLength: 4096, maxDepth: 128 };
const request = (files: PumpEntry[]): CompileRequest => ({
  version: 3,
  cwd: "/src",
  argv: ["gcc", "-c", "x.c"],
  files,
});
const source = (): PumpEntry => ({ kind: "file", name: "/src/x.c", content: Buffer.from("int z;\n") });
const removers: (() => void)[] = [];
afterEach(() => {
  for (const remove of removers.splice(0)) remove();
});
const diskStore = (maxBytes = 64 * MiB): { store: HeaderStore; dir: string } => {
  const temp = makeTempDir("header-refs-bounds-");
  removers.push(temp.remove);
  const dir = join(temp.path, "cache");
  return { store: HeaderStore.open({ maxBytes, dir }), dir };
};
/** Stores a list naming `digests` (under /src/h<i>.h) and returns its digest. */
const storeList = (store: HeaderStore, digests: readonly string[]): Promise<string> =>
  store.put(Buffer.from(manifestText(digests.map((digest, i) => ({ digest, name: `/src/h${i}.h` })))));

describe("applyHeaderRefs bounds what a list brings in", () => {
  it("a list naming one stored 4 MiB file 250 times is refused before anything is read (1000 MiB placed > maxTotal)", async () => {
    const { store } = diskStore();
    const blob = await store.put(randomBytes(4 * MiB));
    const list = await storeList(
      store,
      Array.from({ length: 250 }, () => blob),
    );
    const share = new BudgetShare(new MemoryBudget(2048 * MiB));
    await expect(
      applyHeaderRefs(request([source()]), { set: list, exclude: [0] }, store, share, BOUNDS),
    ).rejects.toThrow(HeaderRefsError);
    // The list itself was read; the 4 MiB file never was.
    expect(share.held).toBeLessThan(MiB);
  });

  it("reads each stored file once per job and shares the buffer between its names (charged once)", async () => {
    const { store } = diskStore();
    const blob = await store.put(randomBytes(4 * MiB));
    const list = await storeList(
      store,
      Array.from({ length: 10 }, () => blob),
    );
    // Room for one copy and the list, not for ten copies.
    const share = new BudgetShare(new MemoryBudget(6 * MiB));
    const req = request([source()]);
    expect(await applyHeaderRefs(req, { set: list, exclude: [0] }, store, share, BOUNDS)).toMatchObject({
      kind: "ready",
    });
    const placed = (req.files ?? []).slice(0, 10).map((e) => (e.kind === "file" ? e.content : undefined));
    expect(placed.every((c) => c === placed[0] && c?.length === 4 * MiB)).toBe(true);
    expect(share.held).toBeLessThan(5 * MiB);
  });

  it("charges a file's size before reading it, and reads nothing more after the share said no", async () => {
    const { store, dir } = diskStore();
    const big = await store.put(randomBytes(3 * MiB));
    const small = await store.put(randomBytes(MiB / 2));
    const list = await storeList(store, [big, small]);
    // The big file's entry no longer reads: a read attempt would make it a miss (and forget it).
    unlinkSync(join(dir, big.slice(0, 2), big));
    const share = new BudgetShare(new MemoryBudget(2 * MiB));
    expect(await applyHeaderRefs(request([source()]), { set: list, exclude: [0] }, store, share, BOUNDS)).toEqual({
      kind: "no-memory",
    });
    // Refused by its size, unread (still indexed); the small one after it was not fetched either.
    expect(store.has(big)).toBe(true);
    expect(share.held).toBe(store.sizeOf(list));
  });

  it("a list of 200,000 names of one stored 1-byte file is refused before a single file is fetched", async () => {
    const { store } = diskStore();
    const blob = await store.put(Buffer.from("x"));
    const list = await storeList(
      store,
      Array.from({ length: 200_000 }, () => blob),
    );
    const share = new BudgetShare(new MemoryBudget(2048 * MiB));
    const req = request([source()]);
    await expect(applyHeaderRefs(req, { set: list, exclude: [0] }, store, share, BOUNDS)).rejects.toThrow(
      /names more than 32767 files \(with the request's own, at most 32768\)/,
    );
    expect(req.files).toHaveLength(1);
    expect(share.held).toBe(store.sizeOf(list));
  });

  it("a list longer in bytes than any list of maxFiles names is not even read; names too long or too deep are refused", async () => {
    const { store } = diskStore();
    const blob = await store.put(Buffer.from("x"));
    const small = { ...BOUNDS, maxFiles: 4, maxNameLength: 40, maxDepth: 3 };
    const long = await store.put(
      Buffer.from(
        manifestText(Array.from({ length: 4 }, (_, i) => ({ digest: blob, name: `/src/${"n".repeat(60)}${i}` }))),
      ),
    );
    const share = new BudgetShare(new MemoryBudget(64 * MiB));
    await expect(applyHeaderRefs(request([source()]), { set: long }, store, share, small)).rejects.toThrow(
      /longer than a list of 3 files can be/,
    );
    expect(share.held).toBe(0);
    const longName = await store.put(Buffer.from(manifestText([{ digest: blob, name: `/src/${"n".repeat(41)}` }])));
    await expect(applyHeaderRefs(request([source()]), { set: longName }, store, share, small)).rejects.toThrow(
      /longer than 40 bytes/,
    );
    const deep = await store.put(Buffer.from(manifestText([{ digest: blob, name: "/a/b/c/d.h" }])));
    await expect(applyHeaderRefs(request([source()]), { set: deep }, store, share, small)).rejects.toThrow(
      /4 levels deep \(at most 3\)/,
    );
    const fine = await store.put(Buffer.from(manifestText([{ digest: blob, name: "/a/b/d.h" }])));
    expect(await applyHeaderRefs(request([source()]), { set: fine, exclude: [0] }, store, share, small)).toMatchObject({
      kind: "ready",
    });
  });
});
