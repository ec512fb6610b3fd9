// The lookup order of spec 10.1, on real files, checked against the real distcc where it can be.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { findHostList, parseHostList } from "../src/index.js";

const dirs: { path: string; remove(): void }[] = [];
function tempDir(): string {
  const dir = makeTempDir("hosts-find-");
  dirs.push(dir);
  return dir.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function realShowHosts(env: Record<string, string>): string[] {
  const out = spawnSync("distcc", ["--show-hosts"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    encoding: "utf8",
  });
  return out.stdout.split("\n").filter(Boolean);
}

function oursShowHosts(env: Record<string, string>, sysconfDir?: string): string[] {
  const found = findHostList(env, sysconfDir === undefined ? {} : { sysconfDir });
  if (!found) return [];
  return parseHostList(found.text, { source: found.source }).hosts.map((h) => h.spec);
}

describe("findHostList", () => {
  it("takes $DISTCC_HOSTS when it exists, even empty", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "hosts"), "fromfile\n");
    expect(findHostList({ DISTCC_HOSTS: "a b", DISTCC_DIR: dir })).toEqual({ text: "a b", source: "$DISTCC_HOSTS" });
    expect(findHostList({ DISTCC_HOSTS: "", DISTCC_DIR: dir })).toEqual({ text: "", source: "$DISTCC_HOSTS" });
    expect(realShowHosts({ DISTCC_HOSTS: "", DISTCC_DIR: dir })).toEqual([]);
  });

  it("then $DISTCC_DIR/hosts, like the real distcc", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "hosts"), "# farm\nfast/8 slow\n");
    const env = { DISTCC_DIR: dir, HOME: tempDir() };
    expect(findHostList(env)).toEqual({ text: "# farm\nfast/8 slow\n", source: join(dir, "hosts") });
    expect(oursShowHosts(env)).toEqual(realShowHosts(env));
    expect(oursShowHosts(env)).toEqual(["fast/8", "slow"]);
  });

  it("then ~/.distcc/hosts when DISTCC_DIR is unset", () => {
    const home = tempDir();
    mkdirSync(join(home, ".distcc"));
    writeFileSync(join(home, ".distcc", "hosts"), "homehost\n");
    expect(findHostList({ HOME: home })?.source).toBe(join(home, ".distcc", "hosts"));
    expect(oursShowHosts({ HOME: home })).toEqual(realShowHosts({ HOME: home }));
    expect(findHostList({}, { homeDir: home })?.text).toBe("homehost\n");
  });

  it("then <sysconfdir>/distcc/hosts (Debian ships /etc/distcc/hosts)", () => {
    const env = { DISTCC_DIR: tempDir() };
    expect(findHostList(env)?.source).toBe("/etc/distcc/hosts");
    expect(oursShowHosts(env)).toEqual(realShowHosts(env));
    const etc = tempDir();
    mkdirSync(join(etc, "distcc"));
    writeFileSync(join(etc, "distcc", "hosts"), "etchost");
    expect(findHostList(env, { sysconfDir: etc })).toEqual({ text: "etchost", source: join(etc, "distcc", "hosts") });
  });

  it("returns undefined when nothing is set", () => {
    expect(findHostList({ DISTCC_DIR: tempDir() }, { sysconfDir: tempDir() })).toBeUndefined();
    expect(findHostList({}, { sysconfDir: tempDir() })).toBeUndefined();
  });

  it("an empty DISTCC_DIR means /hosts, as in distcc", () => {
    const seen: string[] = [];
    findHostList(
      { DISTCC_DIR: "" },
      {
        readFile: (p) => {
          seen.push(p);
          return undefined;
        },
      },
    );
    expect(seen).toEqual(["/hosts", "/etc/distcc/hosts"]);
  });

  it("a readable hosts path that is a directory stops the lookup with no hosts", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "hosts"));
    expect(findHostList({ DISTCC_DIR: dir })).toEqual({ text: "", source: join(dir, "hosts") });
    expect(realShowHosts({ DISTCC_DIR: dir })).toEqual([]);
  });
});
