import { describe, expect, it } from "vitest";
import { findForbiddenServerOption } from "./forbidden.js";

const words = (s: string) => s.split(" ");
const refused = (line: string, opts = {}) => findForbiddenServerOption(words(line), opts)?.option;

describe("findForbiddenServerOption", () => {
  const refusedAlways: Array<[string, string]> = [
    ["gcc -fplugin=/tmp/evil.so -c x.c -o x.o", "-fplugin=/tmp/evil.so"],
    ["gcc -fplugin-arg-evil-x=1 -c x.c -o x.o", "-fplugin-arg-evil-x=1"],
    ["gcc -iplugindir=/tmp -c x.c -o x.o", "-iplugindir=/tmp"],
    ["clang -fpass-plugin=/tmp/p.so -c x.c -o x.o", "-fpass-plugin=/tmp/p.so"],
    ["gcc -specs=/tmp/s -c x.c -o x.o", "-specs=/tmp/s"],
    ["gcc --specs=/tmp/s -c x.c -o x.o", "--specs=/tmp/s"],
    ["gcc -B/tmp/evil/ -c x.c -o x.o", "-B/tmp/evil/"],
    ["gcc -B /tmp/evil/ -c x.c -o x.o", "-B"],
    ["gcc --prefix=/tmp/evil/ -c x.c -o x.o", "--prefix=/tmp/evil/"],
    ["gcc -wrapper /bin/sh,-c,id -c x.c -o x.o", "-wrapper"],
    ["g++ -fmodule-mapper=|/bin/evil -c x.cc -o x.o", "-fmodule-mapper=|/bin/evil"],
    ["gcc @/etc/passwd -c x.c -o x.o", "@/etc/passwd"],
    ["gcc -save-temps -c x.c -o x.o", "-save-temps"],
    ["gcc -save-temps=obj -c x.c -o x.o", "-save-temps=obj"],
    ["gcc -dumpdir /home/u/ -c x.c -o x.o", "-dumpdir"],
    ["gcc -dumpbase /x/y -c x.c -o x.o", "-dumpbase"],
    ["gcc -aux-info /tmp/p.h -c x.c -o x.o", "-aux-info"],
    ["gcc -fdump-tree-all=/tmp/t -c x.c -o x.o", "-fdump-tree-all=/tmp/t"],
    ["gcc -fopt-info-vec=/tmp/v -c x.c -o x.o", "-fopt-info-vec=/tmp/v"],
    ["gcc -fprofile-note=/tmp/n -c x.c -o x.o", "-fprofile-note=/tmp/n"],
    ["gcc -Wa,-adhln=/tmp/l -c x.c -o x.o", "-Wa,-adhln=/tmp/l"],
    ["gcc -Wa,--noexecstack,-o,/tmp/x -c x.c -o x.o", "-Wa,--noexecstack,-o,/tmp/x"],
    ["gcc -Xassembler -a=/tmp/l -c x.c -o x.o", "-Xassembler -a=/tmp/l"],
    ["clang -Xclang -load -Xclang /tmp/p.so -c x.c -o x.o", "-Xclang -load"],
    ["clang -Xclang -plugin -Xclang p -c x.c -o x.o", "-Xclang -plugin"],
    ["clang -mllvm -info-output-file=/tmp/x -c x.c -o x.o", "-mllvm -info-output-file=/tmp/x"],
    ["gcc -Xpreprocessor -MD -c x.c -o x.o", "-Xpreprocessor -MD"],
    ["clang -fsanitize-ignorelist=/etc/shadow -c x.c -o x.o", "-fsanitize-ignorelist=/etc/shadow"],
    ["clang -ftime-trace=/tmp/t.json -c x.c -o x.o", "-ftime-trace=/tmp/t.json"],
  ];
  for (const [line, option] of refusedAlways) {
    it(`refuses ${option}`, () => {
      expect(refused(line, { protocol: 2 })).toBe(option);
      expect(refused(line, { protocol: 3, cwd: "/home/u/src" })).toBe(option);
      expect(findForbiddenServerOption(words(line))!.why).toMatch(/\w/);
    });
  }

  const allowed = [
    "x86_64-linux-gnu-gcc -O2 -c hello.c -o hello.o",
    "gcc -g -O0 -fPIC -Wall -Wextra -std=c11 -c x.c -o x.o",
    "gcc -fdump-tree-optimized -c x.c -o x.o",
    "gcc -fstack-usage -fno-common -ffunction-sections -c x.c -o x.o",
    "gcc -Wa,--noexecstack -c x.c -o x.o",
    "gcc -Xassembler --noexecstack -c x.c -o x.o",
    "clang -Xclang -fno-pch-timestamp -c x.c -o x.o",
    "clang -mllvm -inline-threshold=100 -c x.c -o x.o",
    "gcc -fdebug-prefix-map=/home/u=. -frandom-seed=x -c x.c -o x.o",
    "gcc -march=armv7-a -mfpu=neon -mfloat-abi=hard -c x.c -o x.o",
    "gcc -x c++ -c x.c -o x.o",
  ];
  for (const line of allowed) {
    it(`allows ${line}`, () => {
      expect(refused(line, { protocol: 2 })).toBeUndefined();
      expect(refused(line, { protocol: 3, cwd: "/home/u/src" })).toBeUndefined();
    });
  }

  it("protocols 1/2 refuse what a real client strips; protocol 3 needs it", () => {
    for (const line of [
      "gcc -MD -MF x.d -c x.c -o x.o",
      "gcc -include config.h -c x.c -o x.o",
      "gcc -Wp,-MD,x.d -c x.c -o x.o",
    ]) {
      expect(refused(line, { protocol: 1 })).toBeDefined();
      expect(refused(line)).toBeDefined(); // protocol 1 is the default
      expect(refused(line, { protocol: 3, cwd: "/home/u/src" })).toBeUndefined();
    }
  });

  it("protocol 3 refuses paths that climb out of the job's root", () => {
    const opts = { protocol: 3 as const, cwd: "/home/u/src" };
    expect(refused("gcc -I../../../../etc -c x.c -o x.o", opts)).toBe("-I../../../../etc");
    expect(refused("gcc -include ../../../../etc/passwd -c x.c -o x.o", opts)).toBe("-include ../../../../etc/passwd");
    expect(refused("gcc -c ../../../../tmp/x.c -o x.o", opts)).toBe("../../../../tmp/x.c");
    expect(refused("gcc -I/../../etc -c x.c -o x.o", opts)).toBe("-I/../../etc");
    // Inside the tree is fine, however deep the .. go.
    expect(refused("gcc -I../../.. -I../include -c ../lib/x.c -o x.o", opts)).toBeUndefined();
    expect(refused("gcc -I/usr/include -c /home/u/src/x.c -o x.o", opts)).toBeUndefined();
  });
});
