import { writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { lastWords, matchCommandList } from "./command-list.js";
import { ToolchainIndex } from "./toolchain-index.js";

const tmp = makeTempDir("compilers-cmdlist-");
afterAll(() => tmp.remove());

describe("DISTCC_CMDLIST (distccd's explicit list)", () => {
  it("matches on the last N path components", () => {
    expect(lastWords("/usr/bin/gcc", 1)).toBe("gcc");
    expect(lastWords("/usr/bin/gcc", 2)).toBe("bin/gcc");
    const list = { paths: ["/usr/bin/gcc", "/usr/bin/arm-linux-gnueabihf-gcc"], numWords: 1 };
    expect(matchCommandList(list, "gcc")).toBe("/usr/bin/gcc");
    expect(matchCommandList(list, "/opt/anything/gcc")).toBe("/usr/bin/gcc");
    expect(matchCommandList({ ...list, numWords: 2 }, "/opt/anything/gcc")).toBeUndefined();
    expect(matchCommandList(list, "g++")).toBeUndefined();
  });

  it("from the environment: only the listed compilers run, by their listed path, nothing is searched", async () => {
    const file = path.join(tmp.path, "cmdlist");
    writeFileSync(file, "/usr/bin/gcc\n\n/usr/bin/arm-linux-gnueabihf-gcc\n/usr/bin/true\n/nonexistent/cc\n");
    const index = await ToolchainIndex.discover({
      env: { PATH: "/usr/bin", DISTCC_CMDLIST: file, DISTCC_CMDLIST_NUMWORDS: "1" },
      masqueradeDir: "/usr/lib/distcc",
    });
    expect(index.resolveName("gcc")).toMatchObject({
      executable: "/usr/bin/gcc",
      identity: { target: "x86_64-linux-gnu" },
    });
    expect(index.resolveName("/weird/place/gcc")?.executable).toBe("/usr/bin/gcc");
    expect(index.resolveName("arm-linux-gnueabihf-gcc")?.identity.target).toBe("arm-linux-gnueabihf");
    // In /usr/bin and in the masquerade directory, but not listed:
    expect(index.lookupName("x86_64-linux-gnu-gcc")).toMatchObject({ ok: false, code: "DISTCC_ERR_NOT_IN_CMDLIST" });
    // Listed but not a compiler, or missing: refused and reported.
    expect(index.resolveName("true")).toBeUndefined();
    expect(
      index
        .rejected()
        .map((r) => r.name)
        .sort(),
    ).toEqual(["/nonexistent/cc", "/usr/bin/true"]);
  });

  it("commandList: null ignores the environment", async () => {
    const index = await ToolchainIndex.discover({
      env: { PATH: "/usr/bin", DISTCC_CMDLIST: path.join(tmp.path, "missing") },
      commandList: null,
      pathDirs: ["/usr/bin"],
      masqueradeDir: null,
      crossDirs: false,
    });
    expect(index.resolveName("x86_64-linux-gnu-gcc")?.via).toBe("name");
  });
});
