import { createHash } from "node:crypto";
import type { CompileRequest, PumpEntry } from "@x/distcc-protocol";
import { describe, expect, it } from "vitest";
import { applyHeaderRefs, HeaderRefsError, manifestText } from "./header-refs.js";
import { HeaderStore } from "./header-store.js";
import { BudgetShare, MemoryBudget } from "./memory-budget.js";

const sha = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");
const file = (name: string, text: string): PumpEntry => ({ kind: "file", name, content: Buffer.from(text) });
const empty = (name: string): PumpEntry => ({ kind: "file", name, content: new Uint8Array(0) });
const request = (files: PumpEntry[]): CompileRequest => ({
  version: 3,
  cwd: "/src",
  argv: ["gcc", "-c", "main.c"],
  files,
});
const share = (): BudgetShare => new BudgetShare(new MemoryBudget(1 << 30));
const text = (e: PumpEntry | undefined): string =>
  e?.kind === "file" ? Buffer.from(e.content).toString() : `link ${e?.target}`;

const SOURCE = '#include "a.h"\n';
const A = "#define A 1\n";
const B = "#define B 2\n";

describe("applyHeaderRefs", () => {
  it("stores the bodies under their own digests and names the job's set (source excluded) by its manifest's digest", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    const req = request([
      file("/src/main.c", SOURCE),
      file("/inc/a.h", A),
      file("/inc/b.h", B),
      empty("/inc/forcing_technique_271828"),
      { kind: "link", name: "/l", target: "/inc" },
    ]);
    const out = await applyHeaderRefs(req, { exclude: [0] }, store, share());
    const manifest = manifestText([
      { digest: sha(A), name: "/inc/a.h" },
      { digest: sha(B), name: "/inc/b.h" },
    ]);
    expect(out).toEqual({ kind: "ready", set: sha(manifest) });
    expect(store.has(sha(A)) && store.has(sha(B)) && store.has(sha(manifest))).toBe(true);
    expect(store.has(sha(SOURCE))).toBe(false); // the source is not kept
  });

  it("expands a set reference (its files first) and per-file references into the request", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    const first = await applyHeaderRefs(
      request([file("/src/main.c", SOURCE), file("/inc/a.h", A), file("/inc/b.h", B)]),
      { exclude: [0] },
      store,
      share(),
    );
    if (first.kind !== "ready" || !first.set) throw new Error("no set");

    const bySet = request([file("/src/main.c", "int changed;\n"), { kind: "link", name: "/l", target: "/inc" }]);
    expect(await applyHeaderRefs(bySet, { set: first.set, exclude: [0] }, store, share())).toEqual({
      kind: "ready",
      set: first.set,
    });
    expect(bySet.files?.map((e) => e.name)).toEqual(["/inc/a.h", "/inc/b.h", "/src/main.c", "/l"]);
    expect(bySet.files?.map(text)).toEqual([A, B, "int changed;\n", "link /inc"]);

    const byRefs = request([file("/src/main.c", SOURCE), empty("/inc/a.h"), file("/inc/b.h", B)]);
    expect(await applyHeaderRefs(byRefs, { refs: [[1, sha(A)]], exclude: [0] }, store, share())).toEqual({
      kind: "ready",
      set: first.set,
    });
    expect(byRefs.files?.map(text)).toEqual([SOURCE, A, B]);
  });

  it("a reference to content the server does not hold is a miss (nothing placed), never used", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    const unknown = sha("content nobody ever sent");
    const req = request([file("/src/main.c", SOURCE), empty("/inc/a.h")]);
    expect(await applyHeaderRefs(req, { refs: [[1, unknown]], exclude: [0] }, store, share())).toEqual({
      kind: "missing",
      digests: [unknown],
    });
    expect(text(req.files?.[1])).toBe("");
    expect(await applyHeaderRefs(request([file("/src/main.c", SOURCE)]), { set: unknown }, store, share())).toEqual({
      kind: "missing",
      digests: [unknown],
    });
    // A server without a cache holds nothing.
    expect(
      await applyHeaderRefs(
        request([file("/src/main.c", SOURCE), empty("/a.h")]),
        { refs: [[1, unknown]] },
        undefined,
        share(),
      ),
    ).toEqual({ kind: "missing", digests: [unknown] });
  });

  it("a client cannot put bytes under a digest of its choosing: what it sent is keyed by its own hash", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    await applyHeaderRefs(
      request([file("/src/main.c", SOURCE), file("/inc/a.h", A)]),
      { exclude: [0] },
      store,
      share(),
    );
    // A FILE with a body AND a reference (the claim "this body is that digest") is refused outright.
    const both = request([file("/src/main.c", SOURCE), file("/inc/a.h", "#define A evil\n")]);
    await expect(applyHeaderRefs(both, { refs: [[1, sha(A)]] }, store, share())).rejects.toThrow(HeaderRefsError);
    // The stored content under A's digest is still A.
    expect(Buffer.from((await store.get(sha(A))) ?? []).toString()).toBe(A);
    // A poisoned body travels as a body: it is stored under ITS digest, and A's job still gets A.
    const evil = request([file("/src/main.c", SOURCE), file("/inc/a.h", "#define A evil\n")]);
    await applyHeaderRefs(evil, { exclude: [0] }, store, share());
    const victim = request([file("/src/main.c", SOURCE), empty("/inc/a.h")]);
    await applyHeaderRefs(victim, { refs: [[1, sha(A)]] }, store, share());
    expect(text(victim.files?.[1])).toBe(A);
  });

  it("refuses references that cannot be right", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    const a = await store.put(Buffer.from(A));
    const link: PumpEntry = { kind: "link", name: "/l", target: "/x" };
    await expect(applyHeaderRefs(request([link]), { refs: [[0, a]] }, store, share())).rejects.toThrow(/not a FILE/);
    await expect(applyHeaderRefs(request([empty("/a.h")]), { refs: [[5, a]] }, store, share())).rejects.toThrow(
      /not a FILE/,
    );
    await expect(
      applyHeaderRefs(
        request([empty("/a.h")]),
        {
          refs: [
            [0, a],
            [0, a],
          ],
        },
        store,
        share(),
      ),
    ).rejects.toThrow(/twice/);
    // A header's digest given as a set: not a manifest.
    await expect(applyHeaderRefs(request([]), { set: a }, store, share())).rejects.toThrow(/not a manifest/);
  });

  it("charges what it brings from the store to the job's memory share", async () => {
    const store = HeaderStore.open({ maxBytes: 1 << 20 });
    const big = await store.put(Buffer.alloc(4096, 1));
    const tight = new BudgetShare(new MemoryBudget(1000));
    expect(await applyHeaderRefs(request([empty("/big.h")]), { refs: [[0, big]] }, store, tight)).toEqual({
      kind: "no-memory",
    });
  });
});
