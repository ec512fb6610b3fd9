import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { classifyOutputTarget, isOpenersOwnPath } from "./output-target.js";

// The end-to-end comparison with a local gcc, as root and as an unprivileged user, is
// test/output-targets.test.ts; this pins the decisions one by one.

const dir = mkdtempSync(join(tmpdir(), "output-target-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

describe("classifyOutputTarget", () => {
  it("a new file or a non-empty object: replaced (temp file and rename)", () => {
    expect(classifyOutputTarget(at("new.o"), "compile")).toEqual({ kind: "replace", path: at("new.o"), exists: false });
    writeFileSync(at("old.o"), "old");
    expect(classifyOutputTarget(at("old.o"), "compile")).toEqual({ kind: "replace", path: at("old.o"), exists: true });
  });

  it("a file gcc rewrites in place keeps its permissions", () => {
    writeFileSync(at("old.s"), "old");
    chmodSync(at("old.s"), 0o640);
    expect(classifyOutputTarget(at("old.s"), "assemble")).toEqual({
      kind: "replace",
      path: at("old.s"),
      exists: true,
      keepMode: 0o640,
    });
  });

  it("symlinks: the assembler replaces a link to a non-empty file, cc1 writes through it", () => {
    writeFileSync(at("real"), "old");
    symlinkSync("real", at("link"));
    expect(classifyOutputTarget(at("link"), "compile")).toMatchObject({ kind: "replace", path: at("link") });
    expect(classifyOutputTarget(at("link"), "assemble")).toMatchObject({ kind: "replace", path: at("real") });
  });

  it("/dev/null and a symlink to it: written in place", () => {
    expect(classifyOutputTarget("/dev/null", "compile")).toEqual({ kind: "in-place", path: "/dev/null", pipe: false });
    symlinkSync("/dev/null", at("null"));
    expect(classifyOutputTarget(at("null"), "compile")).toEqual({ kind: "in-place", path: at("null"), pipe: false });
  });

  it("a FIFO: in place for -S, left to gcc for an object", () => {
    expect(spawnSync("mkfifo", [at("fifo")]).status).toBe(0);
    expect(classifyOutputTarget(at("fifo"), "assemble")).toEqual({ kind: "in-place", path: at("fifo"), pipe: true });
    expect(classifyOutputTarget(at("fifo"), "compile").kind).toBe("compile-here");
  });

  it("a dangling symlink, a directory, a path through a file: left to gcc", () => {
    symlinkSync("nowhere", at("dangling"));
    mkdirSync(at("dir"));
    writeFileSync(at("file"), "");
    for (const p of [at("dangling"), at("dir"), join(at("file"), "x.o")])
      expect(classifyOutputTarget(p, "compile").kind, p).toBe("compile-here");
  });
});

describe("the caller's own files (/dev/stdout, ...)", () => {
  it("by name: isOpenersOwnPath", () => {
    for (const p of ["/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/1"])
      expect(isOpenersOwnPath(p), p).toBe(true);
    for (const p of ["/dev/null", "/dev/fdx", join(dir, "proc"), at("x.o")]) expect(isOpenersOwnPath(p), p).toBe(false);
  });

  it("through symlinks: left to the launcher's compiler", () => {
    symlinkSync("/dev/stdout", at("out1"));
    symlinkSync("out1", at("out2"));
    for (const p of ["/dev/stdout", at("out1"), at("out2")])
      expect(classifyOutputTarget(p, "assemble").kind, p).toBe("compile-here");
  });
});
