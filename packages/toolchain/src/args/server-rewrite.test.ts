import { describe, expect, it } from "vitest";
import { rewriteServerCommand, rewriteServerJob, ServerRewriteError } from "./server-rewrite.js";

const words = (s: string) => s.split(" ");

describe("rewriteServerCommand, protocols 1/2", () => {
  const job = { input: "/tmp/j/in.i", output: "/tmp/j/out.o" };
  const cases: Array<[string, string]> = [
    ["gcc -O2 -c hello.c -o hello.o", "gcc -O2 -c /tmp/j/in.i -o /tmp/j/out.o"],
    ["gcc -c hello.c -ohello.o", "gcc -c /tmp/j/in.i -o/tmp/j/out.o"],
    ["gcc -S hello.c -o hello.s", "gcc -S /tmp/j/in.i -o /tmp/j/out.o"],
    // distccd replaces the first word with a source extension, options included, and so breaks
    // these compiles; we replace the input the scan found (deliberate difference).
    ["gcc -fprofile-foo=a.c -c hello.c -o hello.o", "gcc -fprofile-foo=a.c -c /tmp/j/in.i -o /tmp/j/out.o"],
    ["gcc -ofoo.c -c hello.c", "gcc -o/tmp/j/out.o -c /tmp/j/in.i"],
    ["gcc -MT x.c -c hello.c -o hello.o", "gcc -MT x.c -c /tmp/j/in.i -o /tmp/j/out.o"],
    // No -o at all (a client that did not append one): appended, as distccd's own scan would.
    ["gcc -c hello.c", "gcc -c /tmp/j/in.i -o /tmp/j/out.o"],
  ];
  for (const [received, executed] of cases) {
    it(received, () => expect(rewriteServerCommand(words(received), job)).toEqual(words(executed)));
  }
  it("refuses a command without an input", () => {
    expect(() => rewriteServerCommand(words("gcc -c -o x.o"), job)).toThrow(ServerRewriteError);
  });
  it("does not modify its argument", () => {
    const argv = words("gcc -c hello.c -o hello.o");
    rewriteServerCommand(argv, job);
    expect(argv).toEqual(words("gcc -c hello.c -o hello.o"));
  });
});

describe("rewriteServerCommand, protocol 3", () => {
  const job = { input: "", output: "/tmp/o.o", root: "/tmp/R", cwd: "/home/u/src", depsFile: "/tmp/d.deps" };
  const cases: Array<[string, string]> = [
    ["gcc -O2 -c hello.c -o hello.o", "gcc -O2 -c hello.c -o /tmp/o.o -MMD -MF /tmp/d.deps"],
    ["gcc -MD -MF x.d -c hello.c -o hello.o -MT hello.o", "gcc -MD -MF x.d -c hello.c -o /tmp/o.o -MF /tmp/d.deps"],
    ["gcc -MMD -c hello.c -o hello.o", "gcc -MMD -c hello.c -o /tmp/o.o -MF /tmp/d.deps"],
    [
      "gcc -I/usr/x -I /opt/y -Irel -c hello.c -o h.o",
      "gcc -I/tmp/R/usr/x -I /tmp/R/opt/y -Irel -c hello.c -o /tmp/o.o -MMD -MF /tmp/d.deps",
    ],
    [
      "gcc -include /a/b.h -imacros /m.h -isystem /s -iquote /q -idirafter /d -c x.c -o x.o",
      "gcc -include /tmp/R/a/b.h -imacros /tmp/R/m.h -isystem /tmp/R/s -iquote /tmp/R/q -idirafter /tmp/R/d -c x.c -o /tmp/o.o -MMD -MF /tmp/d.deps",
    ],
    [
      "gcc -iprefix/p -iwithprefix/w -c x.c -o x.o",
      "gcc -iprefix/tmp/R/p -iwithprefix/tmp/R/w -c x.c -o /tmp/o.o -MMD -MF /tmp/d.deps",
    ],
    // distccd's prefix test: -iwithprefixbefore/abs matches -iwithprefix first, value "before/abs" is left alone.
    ["gcc -iwithprefixbefore/abs -c x.c -o x.o", "gcc -iwithprefixbefore/abs -c x.c -o /tmp/o.o -MMD -MF /tmp/d.deps"],
    ["gcc -c /home/u/src/x.c -o x.o", "gcc -c /tmp/R/home/u/src/x.c -o /tmp/o.o -MMD -MF /tmp/d.deps"],
    ["gcc -c //home/x.c -o x.o", "gcc -c /tmp/R/home/x.c -o /tmp/o.o -MMD -MF /tmp/d.deps"],
    // The absolute input after a removed -MT pair.
    ["gcc -MT t -c /home/u/src/x.c -o x.o", "gcc -c /tmp/R/home/u/src/x.c -o /tmp/o.o -MMD -MF /tmp/d.deps"],
    [
      "gcc -include/a/pre.c -c /s/x.c -o x.o",
      "gcc -include/tmp/R/a/pre.c -c /tmp/R/s/x.c -o /tmp/o.o -MMD -MF /tmp/d.deps",
    ],
    // Only the first -MT pair is taken out.
    ["gcc -c x.c -o x.o -MT a -MT b", "gcc -c x.c -o /tmp/o.o -MT b -MMD -MF /tmp/d.deps"],
  ];
  for (const [received, executed] of cases) {
    it(received, () => expect(rewriteServerCommand(words(received), job)).toEqual(words(executed)));
  }
  it("returns the -MT target and the deps file", () => {
    const out = rewriteServerJob(words("gcc -c x.c -o x.o -MT obj/x.o"), job);
    expect(out.dependencyTarget).toBe("obj/x.o");
    expect(out.depsFile).toBe("/tmp/d.deps");
  });
  it("defaults the deps file beside the output", () => {
    const { depsFile, ...rest } = job;
    expect(rewriteServerJob(words("gcc -c x.c -o x.o"), rest).depsFile).toBe("/tmp/o.o.deps");
  });
  it("a root with a trailing slash gives the same paths", () => {
    expect(rewriteServerCommand(words("gcc -I/usr/x -c x.c -o x.o"), { ...job, root: "/tmp/R/" })[1]).toBe(
      "-I/tmp/R/usr/x",
    );
  });
  it("refuses -MT as the last word, like distccd", () => {
    expect(() => rewriteServerCommand(words("gcc -c x.c -o x.o -MT"), job)).toThrow(ServerRewriteError);
  });
});
