import { lstat, readFile, readlink, readdir } from "node:fs/promises";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { PumpTreeError, makeClientCwd, placeTreeEntry } from "./pump-tree.js";
import { fixDependencyFile } from "./dotd.js";

const dirs: { remove(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
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
    await expect(placeTreeEntry(r, { kind: "file", name: "/usr/include/evil.h", content: new Uint8Array([1]) })).rejects.toThrow(/link or a file/);
    await placeTreeEntry(r, { kind: "file", name: "/a.h", content: new Uint8Array() });
    await expect(placeTreeEntry(r, { kind: "file", name: "/a.h", content: new Uint8Array() })).rejects.toThrow(/twice/);
    await expect(makeClientCwd(r, "/tmp/../..")).rejects.toBeInstanceOf(PumpTreeError);
    expect((await readdir(r)).sort()).toEqual(["a.h", "usr"]);
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
