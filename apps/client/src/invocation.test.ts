import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@x/testkit";
import { classifyInvocation, findCompiler, safeguardLevel } from "./invocation.js";
import { envBoolean } from "./env-options.js";

describe("invocation forms (spec 9.1)", () => {
  const tmp = makeTempDir("client-inv-");
  afterAll(() => tmp.remove());
  const env = { PATH: "/usr/bin:/bin" };

  it("client commands", () => {
    expect(classifyInvocation(["distcc-client", "--show-hosts"], env, "/")).toMatchObject({
      kind: "command",
      command: "show-hosts",
    });
    expect(classifyInvocation(["/x/distcc-client", "-j"], env, "/")).toMatchObject({
      kind: "command",
      command: "jobs",
    });
    expect(classifyInvocation(["distcc-client", "links", "d"], env, "/")).toMatchObject({
      kind: "command",
      command: "links",
      args: ["d"],
    });
    expect(classifyInvocation(["distcc-client"], env, "/")).toMatchObject({ kind: "command", command: "help" });
  });

  it("explicit and implicit forms", () => {
    expect(classifyInvocation(["distcc-client", "gcc", "-c", "x.c"], env, "/")).toMatchObject({
      kind: "compile",
      compilerName: "gcc",
      args: ["-c", "x.c"],
      masquerade: false,
    });
    expect(classifyInvocation(["distcc-client", "-c", "x.c"], env, "/")).toMatchObject({
      kind: "compile",
      compilerName: "cc",
      args: ["-c", "x.c"],
    });
    expect(classifyInvocation(["distcc-client", "x.c", "-c"], env, "/")).toMatchObject({
      kind: "compile",
      compilerName: "cc",
    });
    expect(classifyInvocation(["distcc", "x.o", "-o", "a"], env, "/")).toMatchObject({
      kind: "compile",
      compilerName: "cc",
    });
  });

  it("masquerade: PATH is cut after the link's directory and the real compiler found further on, skipping ourselves", () => {
    const links = join(tmp.path, "links");
    const real = join(tmp.path, "real");
    mkdirSync(links);
    mkdirSync(real);
    const self = join(tmp.path, "launcher");
    writeFileSync(self, "#!/bin/sh\n");
    chmodSync(self, 0o755);
    symlinkSync(self, join(links, "gcc"));
    writeFileSync(join(real, "gcc"), "#!/bin/sh\n");
    chmodSync(join(real, "gcc"), 0o755);
    const path = `/nonexistent:${links}:${real}`;
    const inv = classifyInvocation(["gcc", "-c", "x.c"], { PATH: path }, "/");
    expect(inv).toMatchObject({ kind: "compile", compilerName: "gcc", masquerade: true, path: real, pathWasCut: true });
    // Explicit form with the links first on PATH: the link (= ourselves) is skipped.
    expect(findCompiler("gcc", `${links}:${real}`, "/", [self])).toBe(join(real, "gcc"));
    expect(findCompiler("gcc", links, "/", [self])).toBeUndefined();
    expect(findCompiler("./cc", path, "/w", [])).toBe("/w/cc");
  });

  it("recursion guard level and sane booleans", () => {
    expect(safeguardLevel({})).toBe(0);
    expect(safeguardLevel({ _DISTCC_SAFEGUARD: "2" })).toBe(2);
    expect(safeguardLevel({ _DISTCC_SAFEGUARD: "junk" })).toBe(0);
    for (const v of ["1", "yes", "true", "ON"]) expect(envBoolean({ X: v }, "X", false)).toBe(true);
    for (const v of ["0", "no", "false", "off", ""]) expect(envBoolean({ X: v }, "X", true)).toBe(false);
    expect(envBoolean({ X: "maybe" }, "X", true)).toBe(true);
    expect(envBoolean({}, "X", false)).toBe(false);
  });
});
