import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { PeerMemory } from "./peer-memory.js";

const dirs: { remove(): void }[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!.remove();
});
function file(): string {
  const d = makeTempDir("peer-memory-");
  dirs.push(d);
  return join(d.path, "peers.json");
}
const trailer = { v: 1, server: "distcc-ts 0.1.0", features: ["lz4", "identity", "caps"] };

describe("PeerMemory", () => {
  it("remembers ours and distccd across agents; 'unknown' teaches nothing", () => {
    const f = file();
    const m = new PeerMemory(f);
    m.learn("a:1", "ours", trailer);
    m.learn("b:2", "distccd");
    m.learn("c:3", "unknown");
    const next = new PeerMemory(f);
    expect(next.get("a:1")).toMatchObject({ kind: "ours", features: trailer.features });
    expect(next.get("b:2")).toMatchObject({ kind: "distccd" });
    expect(next.get("c:3")).toBeUndefined();
  });

  it("asks a distccd again after a day (it may have become ours), forgets on request", () => {
    const f = file();
    const m = new PeerMemory(f);
    m.learn("b:2", "distccd");
    expect(m.get("b:2", Date.now() + 25 * 3600_000)).toBeUndefined();
    m.learn("a:1", "ours", trailer);
    m.forget("a:1");
    expect(new PeerMemory(f).get("a:1")).toBeUndefined();
  });

  it("a corrupt or foreign file is an empty memory, never a crash", () => {
    const f = file();
    writeFileSync(f, "{not json");
    expect(new PeerMemory(f).get("a:1")).toBeUndefined();
    writeFileSync(f, JSON.stringify({ version: 1, peers: { "a:1": { kind: "ours", server: 5 } } }));
    const m = new PeerMemory(f);
    expect(m.get("a:1")).toBeUndefined();
    m.learn("a:1", "ours", trailer);
    expect(JSON.parse(readFileSync(f, "utf8")).peers["a:1"].kind).toBe("ours");
  });
});
