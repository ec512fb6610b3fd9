import type { PumpEntry } from "@x/distcc-protocol";
import { describe, expect, it } from "vitest";
import { HeldHeaders, withHeaderRefs } from "./header-refs.js";
import type { PumpPlan } from "./pump-plan.js";

const d = (c: string): string => c.repeat(64);
const file = (name: string): PumpEntry => ({
  kind: "file",
  name,
  content: new Uint8Array(0),
  compressed: Buffer.from(`body of ${name}`),
});
const plan = (): PumpPlan => ({
  argv: ["gcc", "-c", "main.c"],
  files: [
    file("/src/main.c"),
    file("/inc/a.h"),
    file("/inc/b.h"),
    { kind: "link", name: "/l", target: "/inc" },
    file("/inc/x/forcing_technique_271828"),
  ],
  inputBytes: 100,
  headerSet: { members: [1, 2], digests: [d("a"), d("b")], set: d("5") },
});
const bodyOf = (e: PumpEntry | undefined): string =>
  e?.kind === "file" ? Buffer.from(e.compressed ?? []).toString() : "";

describe("withHeaderRefs", () => {
  it("sends everything, the source excluded from the set, to a server that confirmed nothing", () => {
    const p = plan();
    expect(withHeaderRefs(p, undefined)).toEqual({ files: p.files, headers: { exclude: [0] } });
    expect(withHeaderRefs(p, new Set())).toEqual({ files: p.files, headers: { exclude: [0] } });
  });

  it("names a confirmed set with one digest and sends only what is not in it, in order", () => {
    const out = withHeaderRefs(plan(), new Set([d("5"), d("a"), d("b")]));
    expect(out.headers).toEqual({ set: d("5"), exclude: [0] });
    expect(out.files.map((e) => e.name)).toEqual(["/src/main.c", "/l", "/inc/x/forcing_technique_271828"]);
  });

  it("references the files a server holds, with empty bodies, and sends the others", () => {
    const p = plan();
    const out = withHeaderRefs(p, new Set([d("b")]));
    expect(out.headers).toEqual({ refs: [[2, d("b")]], exclude: [0] });
    expect(bodyOf(out.files[1])).toBe("body of /inc/a.h");
    expect(bodyOf(out.files[2])).toBe("");
    expect(out.files[2]?.name).toBe("/inc/b.h");
    expect(bodyOf(p.files[2])).toBe("body of /inc/b.h"); // the plan itself is untouched (another host may need the body)
  });
});

describe("HeldHeaders", () => {
  it("remembers a confirmed set and its files per host, forgets what a server says it lacks, stays bounded", () => {
    const held = new HeldHeaders(5);
    const set = plan().headerSet!;
    held.confirm("h:1", set);
    expect([...(held.of("h:1") ?? [])].sort()).toEqual([d("5"), d("a"), d("b")].sort());
    expect(held.of("h:2")).toBeUndefined();
    held.forget("h:1", [d("5")]);
    expect(held.of("h:1")?.has(d("5"))).toBe(false);
    held.confirm("h:1", { members: [1, 2, 3], digests: [d("c"), d("e"), d("f")], set: d("6") });
    expect(held.of("h:1")?.size).toBeLessThanOrEqual(5);
    expect(held.of("h:1")?.has(d("6"))).toBe(true);
  });
});
