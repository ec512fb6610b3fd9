import { chmodSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { IdentityCache } from "./identity-cache.js";

const tmp = makeTempDir("compilers-cache-");
afterAll(() => tmp.remove());

// A real compiler the test may touch: a wrapper script around the system gcc.
function wrapper(name: string): string {
  const file = path.join(tmp.path, name);
  writeFileSync(file, '#!/bin/sh\nexec /usr/bin/gcc "$@"\n');
  chmodSync(file, 0o755);
  return file;
}

describe("IdentityCache", () => {
  it("probes once, then answers from memory and from the file in a new instance", async () => {
    const cc = wrapper("x86_64-linux-gnu-gcc");
    const file = path.join(tmp.path, "cache1", "identities.json");
    const a = new IdentityCache({ file });
    const first = await a.get(cc);
    expect(first.target).toBe("x86_64-linux-gnu");
    expect(await a.get(cc)).toEqual(first);
    expect(a.probes).toBe(1);

    const persisted = JSON.parse(readFileSync(file, "utf8"));
    expect(persisted.version).toBe(1);
    expect(Object.keys(persisted.entries)).toEqual([cc]);

    const b = new IdentityCache({ file });
    expect(await b.get(cc)).toEqual(first);
    expect(b.probes).toBe(0);
  });

  it("re-probes when the file's mtime or size changes (touch, upgrade)", async () => {
    const cc = wrapper("gcc-touch");
    const file = path.join(tmp.path, "cache2.json");
    const cache = new IdentityCache({ file });
    await cache.get(cc);
    const later = new Date(Date.now() + 5_000);
    utimesSync(cc, later, later);
    await cache.get(cc);
    expect(cache.probes).toBe(2);
    writeFileSync(cc, '#!/bin/sh\n# upgraded\nexec /usr/bin/gcc "$@"\n');
    utimesSync(cc, later, later); // same mtime, other size
    await cache.get(cc);
    expect(cache.probes).toBe(3);
    expect(new IdentityCache({ file }).probes).toBe(0);
  });

  it("keys by the path called, so clang and clang++ (one binary) stay apart", async () => {
    const cache = new IdentityCache({ file: path.join(tmp.path, "cache3.json") });
    const [c, cxx] = await Promise.all([cache.get("/usr/bin/clang"), cache.get("/usr/bin/clang++")]);
    expect(c.kind).toBe("c");
    expect(cxx.kind).toBe("c++");
  });

  it("a link retargeted to another compiler is re-probed even if sizes agree", async () => {
    const link = path.join(tmp.path, "cc-link");
    symlinkSync("/usr/bin/x86_64-linux-gnu-gcc-12", link);
    const file = path.join(tmp.path, "cache4.json");
    const cache = new IdentityCache({ file });
    expect((await cache.get(link)).kind).toBe("c");
    // Simulate `update-alternatives`: a fresh cache file whose entry claims another realpath.
    const data = JSON.parse(readFileSync(file, "utf8"));
    data.entries[link].realpath = "/usr/bin/somewhere-else";
    writeFileSync(file, JSON.stringify(data));
    const again = new IdentityCache({ file });
    await again.get(link);
    expect(again.probes).toBe(1);
  });

  it("a corrupt or foreign cache file is an empty cache, then rewritten", async () => {
    const cc = wrapper("gcc-corrupt");
    for (const [i, body] of [
      "{not json",
      JSON.stringify({ version: 2, entries: {} }),
      JSON.stringify({ version: 1, entries: { [cc]: { identity: "x" } } }),
    ].entries()) {
      const file = path.join(tmp.path, `corrupt${i}.json`);
      writeFileSync(file, body);
      const cache = new IdentityCache({ file });
      expect((await cache.get(cc)).family).toBe("gcc");
      expect(cache.probes).toBe(1);
      expect(JSON.parse(readFileSync(file, "utf8")).entries[cc].identity.family).toBe("gcc");
    }
  });

  it("concurrent gets of one compiler share one probe", async () => {
    const cc = wrapper("gcc-concurrent");
    const cache = new IdentityCache({ file: path.join(tmp.path, "cache5.json") });
    const ids = await Promise.all([cache.get(cc), cache.get(cc), cache.get(cc)]);
    expect(cache.probes).toBe(1);
    expect(ids[1]).toEqual(ids[0]);
  });

  it("bare names are found on the injected PATH", async () => {
    wrapper("arm-test-gcc");
    const cache = new IdentityCache({ file: path.join(tmp.path, "cache6.json"), env: { PATH: tmp.path } });
    expect((await cache.get("arm-test-gcc")).target).toBe("x86_64-linux-gnu");
  });
});
