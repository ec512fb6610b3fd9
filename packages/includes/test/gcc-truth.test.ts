// The analysis against gcc -M (the truth) on a corpus that holds every lookup quirk gcc has: the
// analysis must list every file gcc reads, for C and C++, with and without -nostdinc/--sysroot.
import { lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IncludeAnalyzer, type AnalyzeRequest } from "../src/index.js";
import { depsOf } from "./truth.js";

let root: string;
const analyzer = new IncludeAnalyzer();

function write(rel: string, text: string): void {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Every file the analysis says `req` reads (real paths); the test fails if it gives up. */
async function filesRead(req: AnalyzeRequest): Promise<string[]> {
  const result = await analyzer.analyze(req);
  if (!result.ok) throw new Error(result.reason);
  return result.closure.files.map((f) => f.real);
}

/** Makes directories look a minute old, as a tree checked out earlier: listings are kept only once settled. */
function settle(...rels: string[]): void {
  const old = new Date(Date.now() - 60_000);
  for (const rel of rels) utimesSync(join(root, rel), old, old);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "includes-truth-"));
  // Quote lookup: the includer's directory first, then -iquote, then the bracket chain.
  write(
    "src/main.c",
    '#include "local.h"\n#include "quoted.h"\n#include <angle.h>\n#include "sub/nested.h"\nint main(void) { return 0; }\n',
  );
  write("src/local.h", '#include "../common/common.h"\n');
  write("common/common.h", "#pragma once\n");
  write("iq/quoted.h", "/* found through -iquote */\n");
  write("inc/angle.h", '#include "from-angle-dir.h"\n');
  write("inc/from-angle-dir.h", "\n");
  write("src/sub/nested.h", '#include "sibling.h"\n#include "../local.h"\n');
  write("src/sub/sibling.h", "\n");
  // -I shadows -isystem shadows -idirafter; #include_next walks on from where the file was found.
  write("wrap/stdio.h", "#include_next <stdio.h>\n");
  write("wrap/limits.h", "#include_next <limits.h>\n");
  write("sys1/layered.h", "#include_next <layered.h>\n");
  write("sys2/layered.h", "#include_next <layered.h>\n");
  write("after/layered.h", "/* the last layer */\n");
  write("after/only-after.h", "\n");
  write("src/next.c", "#include <stdio.h>\n#include <limits.h>\n#include <layered.h>\n#include <only-after.h>\n");
  // Computed includes, __has_include, #import, #pragma GCC dependency, conditional branches.
  write(
    "src/computed.c",
    [
      "#define STR1(x) #x",
      "#define STR(x) STR1(x)",
      "#define CONFIG_DIR conf",
      '#define HEADER "computed-quote.h"',
      "#define SYSHEADER <stdint.h>",
      "#include HEADER",
      "#include SYSHEADER",
      "#include STR(CONFIG_DIR/board.h)",
      '#if __has_include("maybe.h")',
      '#include "maybe.h"',
      "#endif",
      "#if __has_include(<absent-header.h>)",
      "#include <absent-header.h>",
      "#endif",
      "#ifdef NEVER_DEFINED",
      '#include "in-dead-branch.h"',
      "#endif",
      '#import "imported.h"',
      '#import "imported.h"',
      '#pragma GCC dependency "dep-target.txt"',
      "int f(void) { return 0; }",
    ].join("\n"),
  );
  write("src/computed-quote.h", "\n");
  write("src/conf/board.h", "\n");
  write("src/maybe.h", "\n");
  write("src/in-dead-branch.h", "\n");
  write("src/imported.h", "\n");
  write("src/dep-target.txt", "\n");
  // -include / -imacros: looked up in the working directory first.
  write("src/forced.h", '#include "forced-inner.h"\n');
  write("src/forced-inner.h", "\n");
  write("src/macros.h", "#define FROM_IMACROS 1\n");
  write("src/plain.c", "int x;\n");
  // Symlinks: a symlinked file, a symlinked directory, and `..` through a symlinked directory
  // (which climbs out of the link's target, not its location).
  write("real/dir/linked-dir.h", '#include "../outside-link-target.h"\n');
  write("real/outside-link-target.h", "\n");
  write("real/file-target.h", "\n");
  symlinkSync(join(root, "real/dir"), join(root, "src/linkdir"));
  symlinkSync("../real/file-target.h", join(root, "src/linked-file.h"));
  write("src/links.c", '#include "linkdir/linked-dir.h"\n#include "linked-file.h"\n');
  // C++: the standard library's headers.
  write(
    "src/vec.cc",
    "#include <vector>\n#include <string>\n#include <map>\nint main() { std::vector<std::string> v; return v.size(); }\n",
  );
  // -nostdinc with our own "system" directory, and a --sysroot holding usr/include.
  write("fakesys/stddef.h", "typedef unsigned long size_t;\n");
  write("src/nostd.c", "#include <stddef.h>\nsize_t n;\n");
  write("sysroot/usr/include/sysroot-only.h", '#include "sysroot-sibling.h"\n');
  write("sysroot/usr/include/sysroot-sibling.h", "\n");
  write("src/sysroot.c", "#include <sysroot-only.h>\n");
}, 60_000);

afterAll(() => {
  if (!process.env.KEEP_CORPUS) rmSync(root, { recursive: true, force: true });
});

const cases: { name: string; argv: () => string[] }[] = [
  {
    name: "quote, -iquote, -I lookup and ..",
    argv: () => ["gcc", "-c", "main.c", "-iquote", "../iq", `-I${root}/inc`],
  },
  {
    name: "include_next through -I, -isystem and -idirafter",
    argv: () => [
      "gcc",
      "-c",
      "next.c",
      "-I../wrap",
      "-isystem",
      `${root}/sys1`,
      `-I${root}/sys2`,
      "-idirafter",
      `${root}/after`,
    ],
  },
  {
    name: "computed includes, __has_include, #import, pragma dependency",
    argv: () => ["gcc", "-c", "computed.c", "-O2"],
  },
  { name: "-include and -imacros", argv: () => ["gcc", "-c", "plain.c", "-include", "forced.h", "--imacros=macros.h"] },
  { name: "symlinked files and directories", argv: () => ["gcc", "-c", "links.c"] },
  { name: "C++ standard library", argv: () => ["g++", "-c", "vec.cc", "-O2", "-std=c++17"] },
  { name: "C++ as -x c++", argv: () => ["gcc", "-x", "c++", "-c", "vec.cc"] },
  {
    name: "-nostdinc with an own system directory",
    argv: () => ["gcc", "-nostdinc", "-isystem", `${root}/fakesys`, "-c", "nostd.c"],
  },
  { name: "--sysroot", argv: () => ["gcc", `--sysroot=${root}/sysroot`, "-c", "sysroot.c"] },
  {
    name: "long option aliases",
    argv: () => ["gcc", "-c", "main.c", "--include-directory", `${root}/inc`, "-iquote../iq"],
  },
];

describe("include analysis against gcc -M", () => {
  for (const c of cases) {
    it(`lists every file gcc reads: ${c.name}`, async () => {
      const argv = c.argv();
      const cwd = join(root, "src");
      const truth = depsOf(argv, cwd);
      const result = await analyzer.analyze({ argv, cwd });
      if (!result.ok) throw new Error(result.reason);
      const found = new Set(result.closure.files.map((f) => f.real));
      const missing = [...truth].filter((f) => !found.has(f));
      expect(missing).toEqual([]);
      // A superset, but not a different tree: nothing of this corpus is added beyond the dead
      // branch, and two files gcc opens but leaves out of -M (strace shows both opened): the
      // pragma-dependency file and an empty #import-ed header.
      const extra = [...found].filter((f) => !truth.has(f) && f.startsWith(root)).map((f) => f.slice(root.length));
      expect(
        extra.filter((f) => !["/src/in-dead-branch.h", "/src/dep-target.txt", "/src/imported.h"].includes(f)),
      ).toEqual([]);
    });
  }

  it("records the symlinks and the climbed directory the spellings need", async () => {
    const result = await analyzer.analyze({ argv: ["gcc", "-c", "links.c"], cwd: join(root, "src") });
    if (!result.ok) throw new Error(result.reason);
    expect(result.closure.links.get(join(root, "src/linkdir"))).toBe(join(root, "real/dir"));
    expect(result.closure.links.get(join(root, "src/linked-file.h"))).toBe("../real/file-target.h");
    expect([...result.closure.climbed]).toContain(join(root, "real/dir"));
  });

  it("sees a header that changed between two compiles", async () => {
    write("src/changing.c", '#include "changing.h"\n');
    write("src/changing.h", '#include "first.h"\n');
    write("src/first.h", "\n");
    write("src/second.h", "\n");
    const req = { argv: ["gcc", "-c", "changing.c"], cwd: join(root, "src") };
    const before = await filesRead(req);
    write("src/changing.h", '#include "second.h"   \n');
    const after = await filesRead(req);
    expect(before).toContain(join(root, "src/first.h"));
    expect(after).toContain(join(root, "src/second.h"));
    expect(after).not.toContain(join(root, "src/first.h"));
  });
});

describe("directory listings kept across compiles", () => {
  it("see a header created later in a directory searched earlier (it shadows the old one)", async () => {
    write("late/src/late.c", "#include <shadow.h>\n");
    write("late/second/shadow.h", "/* the old one */\n");
    mkdirSync(join(root, "late/first"), { recursive: true });
    settle("late", "late/src", "late/first", "late/second");
    const req = { argv: ["gcc", "-I../first", "-I../second", "-c", "late.c"], cwd: join(root, "late/src") };
    expect(await filesRead(req)).toContain(join(root, "late/second/shadow.h"));
    write("late/first/shadow.h", "/* the new one */\n");
    const found = await filesRead(req);
    expect(found).toContain(join(root, "late/first/shadow.h"));
    expect(found).not.toContain(join(root, "late/second/shadow.h"));
    expect([...depsOf(req.argv, req.cwd)]).toContain(join(root, "late/first/shadow.h"));
  });
});

describe("a directory first seen young (a tree just generated)", () => {
  it("is trusted once settled, and a header created in it later still shadows the old one", async () => {
    write("young/src/young.c", "#include <shadow.h>\n");
    write("young/second/shadow.h", "/* the old one */\n");
    mkdirSync(join(root, "young/first"), { recursive: true });
    settle("young", "young/src", "young/second");
    const req = { argv: ["gcc", "-I../first", "-I../second", "-c", "young.c"], cwd: join(root, "young/src") };
    expect(await filesRead(req)).toContain(join(root, "young/second/shadow.h")); // young/first: too young to keep
    await new Promise((r) => setTimeout(r, 2100));
    expect(await filesRead(req)).toContain(join(root, "young/second/shadow.h")); // now settled: listed and kept
    write("young/first/shadow.h", "/* the new one */\n");
    const found = await filesRead(req);
    expect(found).toContain(join(root, "young/first/shadow.h"));
    expect(found).not.toContain(join(root, "young/second/shadow.h"));
    expect([...depsOf(req.argv, req.cwd)]).toContain(join(root, "young/first/shadow.h"));
  });
});

describe("lookups kept across compiles", () => {
  it("follow a directory that keeps changing (objects written beside the sources) and headers that come and go", async () => {
    write("busy/src/busy.c", '#include "gen.h"\n#include <lib.h>\n');
    write("busy/inc/gen.h", "/* the fallback */\n");
    write("busy/first/keep.h", "");
    write("busy/second/lib.h", "/* the second */\n");
    settle("busy", "busy/src", "busy/inc", "busy/first", "busy/second");
    const req = { argv: ["gcc", "-I../inc", "-I../first", "-I../second", "-c", "busy.c"], cwd: join(root, "busy/src") };
    expect(await filesRead(req)).toEqual(
      expect.arrayContaining([join(root, "busy/inc/gen.h"), join(root, "busy/second/lib.h")]),
    );
    for (let round = 0; round < 2; round++) {
      write("busy/src/busy.o", `object ${round}\n`); // the source directory changes with every compile
      write("busy/src/gen.h", "/* beside the source */\n");
      write("busy/first/lib.h", "/* the first */\n");
      let found = await filesRead(req);
      expect(found).toEqual(expect.arrayContaining([join(root, "busy/src/gen.h"), join(root, "busy/first/lib.h")]));
      expect(found).not.toContain(join(root, "busy/inc/gen.h"));
      expect(found).not.toContain(join(root, "busy/second/lib.h"));
      expect([...depsOf(req.argv, req.cwd)].sort()).toEqual(
        expect.arrayContaining([join(root, "busy/src/gen.h"), join(root, "busy/first/lib.h")]),
      );
      rmSync(join(root, "busy/src/gen.h"));
      rmSync(join(root, "busy/first/lib.h"));
      found = await filesRead(req);
      expect(found).toEqual(expect.arrayContaining([join(root, "busy/inc/gen.h"), join(root, "busy/second/lib.h")]));
      expect(found).not.toContain(join(root, "busy/first/lib.h"));
    }
  });
});

describe("where a header's includes led, kept across compiles", () => {
  it("still resolves a computed include from the definitions seen this time", async () => {
    write("computed-kept/main.c", '#include "conf.h"\n#include "other.h"\n#include HEADER\n');
    write("computed-kept/conf.h", '#define HEADER "one.h"\n');
    write("computed-kept/other.h", '#include "conf.h"\n');
    write("computed-kept/one.h", "\n");
    write("computed-kept/two.h", "\n");
    const req = { argv: ["gcc", "-c", "main.c"], cwd: join(root, "computed-kept") };
    expect(await filesRead(req)).toContain(join(root, "computed-kept/one.h"));
    write("computed-kept/conf.h", '#define HEADER "two.h" /* now */\n');
    const found = await filesRead(req);
    expect(found).toContain(join(root, "computed-kept/two.h"));
    expect(found).not.toContain(join(root, "computed-kept/one.h"));
    expect([...depsOf(req.argv, req.cwd)]).toContain(join(root, "computed-kept/two.h"));
  });

  it("gives a header reached two ways (a quote include and #include_next) the files of each", async () => {
    write("twice/src/main.c", '#include "wrap.h"\n#include <wrap.h>\n');
    write("twice/src/wrap.h", "#include_next <wrap.h>\n");
    write("twice/a/wrap.h", "#include_next <wrap.h>\n#include <a-only.h>\n");
    write("twice/a/a-only.h", "\n");
    write("twice/b/wrap.h", "#include <b-only.h>\n");
    write("twice/b/b-only.h", "\n");
    const req = { argv: ["gcc", "-I../a", "-I../b", "-c", "main.c"], cwd: join(root, "twice/src") };
    for (let round = 0; round < 2; round++) {
      const found = await filesRead(req);
      for (const path of depsOf(req.argv, req.cwd)) expect(found).toContain(path);
    }
  });
});

describe("lookups kept across compiles, through names in a changing directory", () => {
  it("follow a symlink there to its new target, and skip a name that became a directory", async () => {
    write("moving/src/moving.c", "#include <which.h>\n#include <lib.h>\n");
    write("moving/a/which.h", "/* a */\n");
    write("moving/b/which.h", "/* b */\n");
    write("moving/first/lib.h", "/* the first */\n");
    write("moving/second/lib.h", "/* the second */\n");
    symlinkSync("../a", join(root, "moving/src/inc"));
    settle("moving", "moving/src", "moving/a", "moving/b", "moving/first", "moving/second");
    const req = {
      argv: ["gcc", "-Iinc", "-I../first", "-I../second", "-c", "moving.c"],
      cwd: join(root, "moving/src"),
    };
    expect(await filesRead(req)).toEqual(
      expect.arrayContaining([join(root, "moving/a/which.h"), join(root, "moving/first/lib.h")]),
    );
    for (let round = 0; round < 3; round++) {
      write("moving/src/moving.o", `object ${round}\n`); // the source directory changes with every compile
      rmSync(join(root, "moving/src/inc"));
      symlinkSync(round % 2 === 0 ? "../b" : "../a", join(root, "moving/src/inc"));
      const found = await filesRead(req);
      const now = round % 2 === 0 ? "b" : "a";
      expect(found).toContain(join(root, `moving/${now}/which.h`));
      expect(found).not.toContain(join(root, `moving/${now === "a" ? "b" : "a"}/which.h`));
      expect([...depsOf(req.argv, req.cwd)]).toContain(join(root, `moving/${now}/which.h`));
    }
    rmSync(join(root, "moving/first/lib.h"));
    mkdirSync(join(root, "moving/first/lib.h"));
    const found = await filesRead(req);
    expect(found).toContain(join(root, "moving/second/lib.h"));
    expect([...depsOf(req.argv, req.cwd)]).toContain(join(root, "moving/second/lib.h"));
  });
});

describe("when the analysis must give up", () => {
  const cwd = () => join(root, "src");
  it.each([
    ["CPATH set", { argv: ["gcc", "-c", "plain.c"], env: { CPATH: "/opt/x" } }, /CPATH/],
    ["-I- splits the chain", { argv: ["gcc", "-I-", "-c", "plain.c"] }, /-I-/],
    ["-Wp, options", { argv: ["gcc", "-Wp,-I/opt", "-c", "plain.c"] }, /-Wp,/],
    ["an operand no definition explains", { argv: ["gcc", "-c", "unknowable.c"] }, /cannot evaluate/],
    ["a compiler that does not exist", { argv: ["/nonexistent/gcc", "-c", "plain.c"] }, /failed/],
    ["a symlink loop on the way to a header", { argv: ["gcc", "-c", "looping.c"] }, /too many symlinks/],
  ])("%s", async (_name, req, why) => {
    write("src/unknowable.c", "#include NOT_DEFINED_ANYWHERE\n");
    write("src/looping.c", '#if __has_include("ping/x.h")\n#include "ping/x.h"\n#endif\n');
    if (!lstatSync(join(root, "src/ping"), { throwIfNoEntry: false })) {
      symlinkSync("pong", join(root, "src/ping"));
      symlinkSync("ping", join(root, "src/pong"));
    }
    const result = await analyzer.analyze({ cwd: cwd(), ...req });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(why);
  });
});

describe("spellings that could grow forever", () => {
  const check = async (dir: string, files: Record<string, string>, link?: [string, string]): Promise<void> => {
    for (const [name, text] of Object.entries(files)) write(`${dir}/${name}`, text);
    if (link) symlinkSync(link[1], join(root, dir, link[0]));
    const req = { argv: ["gcc", "-c", "main.c"], cwd: join(root, dir) };
    const found = await filesRead(req);
    for (const path of depsOf(req.argv, req.cwd)) expect(found).toContain(path);
    for (const name of Object.keys(files)) expect(found).toContain(join(root, dir, name));
  };

  it("a `..` include cycle (src/../src/../src/...) ends, with every file gcc reads", async () => {
    await check("dotdot-cycle/src", {
      "main.c": '#include "a.h"\nint main(void) { return 0; }\n',
      "a.h": '#ifndef A_H\n#define A_H\n#include "../src/b.h"\n#endif\n',
      "b.h": '#ifndef B_H\n#define B_H\n#include "../src/a.h"\n#include "../src/d.h"\n#endif\n',
      "d.h": "\n",
    });
  });

  it("a symlink to its own directory (loop/loop/loop/...) ends, with every file gcc reads", async () => {
    await check(
      "link-cycle/src",
      {
        "main.c": '#include "loop/c.h"\nint main(void) { return 0; }\n',
        "c.h": '#ifndef C_H\n#define C_H\n#include "loop/c.h"\n#include "loop/e.h"\n#endif\n',
        "e.h": "\n",
      },
      ["loop", "."],
    );
  });
});

describe("the compiler's search chain, kept across compiles", () => {
  it("is asked again when a symlinked -I directory now names another entry of the chain (gcc drops duplicates)", async () => {
    write("dup/src/main.c", "#include <h.h>\n");
    write("dup/one/h.h", "#include_next <h.h>\n");
    write("dup/two/h.h", "/* the last */\n");
    mkdirSync(join(root, "dup/empty"), { recursive: true });
    symlinkSync(join(root, "dup/empty"), join(root, "dup/link"));
    const req = {
      argv: [
        "gcc",
        `-I${join(root, "dup/link")}`,
        `-I${join(root, "dup/one")}`,
        `-I${join(root, "dup/two")}`,
        "-c",
        "main.c",
      ],
      cwd: join(root, "dup/src"),
    };
    const before = await analyzer.analyze(req);
    if (!before.ok) throw new Error(before.reason);
    // Now the link is the same directory as "two": gcc keeps the first and drops "two" from the chain.
    rmSync(join(root, "dup/link"));
    symlinkSync(join(root, "dup/two"), join(root, "dup/link"));
    const after = await analyzer.analyze(req);
    if (!after.ok) throw new Error(after.reason);
    expect(after.closure.chain).not.toBe(before.closure.chain);
    const found = after.closure.files.map((f) => f.real);
    for (const path of depsOf(req.argv, req.cwd)) expect(found).toContain(path);
  });
});
