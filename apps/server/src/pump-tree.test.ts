import { lstat, readFile, readlink, readdir } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TREE_BOUNDS, PumpTree, PumpTreeError, makeClientCwd, placeTreeEntry } from "./pump-tree.js";
import { fixDependencyFile } from "./dotd.js";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});
function root(): string {
  const d = makeTempDir("pump-tree-");
  dirs.push(d);
  return d.path;
}

describe("placeTreeEntry", () => {
  it("writes files and links under the root; absolute link targets are re-rooted", async () => {
    const r = root();
    await placeTreeEntry(r, { kind: "file", name: "/tmp/dv/src/hello.c", content: Buffer.from("int x;\n") });
    await placeTreeEntry(r, { kind: "link", name: "/usr/include", target: "../../../../usr/include" });
    await placeTreeEntry(r, { kind: "link", name: "/tmp/dv/src/abs.h", target: "/tmp/dv/src/hello.c" });
    expect(await readFile(join(r, "tmp/dv/src/hello.c"), "utf8")).toBe("int x;\n");
    expect(await readlink(join(r, "usr/include"))).toBe("../../../../usr/include");
    expect(await readlink(join(r, "tmp/dv/src/abs.h"))).toBe(join(r, "tmp/dv/src/hello.c"));
    expect((await lstat(await makeClientCwd(r, "/tmp/dv/src"))).isDirectory()).toBe(true);
  });

  it("refuses names that escape, relative names, duplicates, and writing through a link", async () => {
    const r = root();
    const bad = [
      { kind: "file", name: "/tmp/../../etc/passwd", content: new Uint8Array() },
      { kind: "file", name: "relative.h", content: new Uint8Array() },
      { kind: "file", name: "/", content: new Uint8Array() },
      { kind: "link", name: "/x", target: "" },
    ] as const;
    for (const entry of bad) await expect(placeTreeEntry(r, entry)).rejects.toBeInstanceOf(PumpTreeError);
    await placeTreeEntry(r, { kind: "link", name: "/usr/include", target: "../../../../usr/include" });
    await expect(
      placeTreeEntry(r, { kind: "file", name: "/usr/include/evil.h", content: new Uint8Array([1]) }),
    ).rejects.toThrow(/link or a file/);
    await placeTreeEntry(r, { kind: "file", name: "/a.h", content: new Uint8Array() });
    await expect(placeTreeEntry(r, { kind: "file", name: "/a.h", content: new Uint8Array() })).rejects.toThrow(/twice/);
    await expect(makeClientCwd(r, "/tmp/../..")).rejects.toBeInstanceOf(PumpTreeError);
    expect((await readdir(r)).sort()).toEqual(["a.h", "usr"]);
  });
  it.each(["/src/x.h.gch", "/src/x.h.gch/a", "/src/x.h.pch", "/src/m.pcm"])(
    "never writes a precompiled header (%s), whichever way its name came",
    async (name) => {
      const r = root();
      await expect(placeTreeEntry(r, { kind: "file", name, content: Buffer.from("gpch") })).rejects.toThrow(
        /precompiled headers/,
      );
      await expect(placeTreeEntry(r, { kind: "link", name, target: "/src/blob.bin" })).rejects.toThrow(PumpTreeError);
      expect(await readdir(r)).toEqual([]);
    },
  );
});

describe("PumpTree bounds", () => {
  it("refuses a NAME or CDIR deeper than maxDepth before making anything", async () => {
    const r = root();
    const tree = new PumpTree(r, DEFAULT_TREE_BOUNDS);
    const deep = `/${Array.from({ length: 1900 }, () => "d").join("/")}/x.h`;
    await expect(tree.place({ kind: "file", name: deep, content: new Uint8Array() })).rejects.toThrow(
      /1901 levels deep \(at most 128\)/,
    );
    await expect(tree.makeCwd(`/${"a/".repeat(200)}`)).rejects.toThrow(/levels deep/);
    expect(await readdir(r)).toEqual([]);
    // 128 levels are fine.
    await tree.place({ kind: "file", name: `/${"d/".repeat(127)}ok.h`, content: new Uint8Array([1]) });
  });

  it("makes each directory once, and stops at maxDirs", async () => {
    const r = root();
    const tree = new PumpTree(r, { maxDepth: 128, maxDirs: 10 });
    for (let i = 0; i < 50; i++) await tree.place({ kind: "file", name: `/a/b/c/f${i}.h`, content: new Uint8Array() });
    expect((await readdir(join(r, "a/b/c"))).length).toBe(50);
    await expect(tree.place({ kind: "file", name: "/1/2/3/4/5/6/7/8/x.h", content: new Uint8Array() })).rejects.toThrow(
      /more than 10 directories/,
    );
  });

  it("stops building when the job's deadline has passed", async () => {
    const tree = new PumpTree(root(), {
      ...DEFAULT_TREE_BOUNDS,
      deadline: Date.now() - 1,
      deadlineWhat: "--job-lifetime (5 ms)",
    });
    await expect(tree.place({ kind: "file", name: "/a.h", content: new Uint8Array() })).rejects.toThrow(
      /took longer than --job-lifetime \(5 ms\)/,
    );
  });
});

describe("fixDependencyFile", () => {
  it("puts the client's target back and deletes the root", () => {
    const text = "/j/out.o: hello.c /j/root/tmp/dv/src/hello.h \\\n /j/root/usr/include/stdio.h\n";
    expect(fixDependencyFile(text, { tempObject: "/j/out.o", target: "hello.o", root: "/j/root" })).toBe(
      "hello.o: hello.c /tmp/dv/src/hello.h \\\n /usr/include/stdio.h\n",
    );
  });
});
