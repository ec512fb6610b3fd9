// What the server runs for a command, and what it refuses: long because every refused family and
// every rewrite is pinned by its own case.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serverArgv } from "./commands.js";
import { scanArgs, scanExpandedArgs } from "./scan.js";
import { commandLineOf, noFiles } from "./argv-arbitrary.js";
import {
  decideServerArgv,
  serverJobCommand,
  type ServerArgvDecision,
  type ServerPolicyOptions,
} from "./server-policy.js";

const words = (line: string): string[] => line.split(" ").filter(Boolean);
const p2: ServerPolicyOptions = { protocol: 2 };
const p3: ServerPolicyOptions = { protocol: 3, cwd: "/src/proj" };

function accepted(line: string, opts: ServerPolicyOptions = p2): Extract<ServerArgvDecision, { ok: true }> {
  const d = decideServerArgv(words(line), opts);
  if (!d.ok) throw new Error(`refused: ${d.refusal.spelled}: ${d.refusal.why}`);
  return d;
}

function refused(line: string, opts: ServerPolicyOptions = p2): { spelled: string; canonical: string; why: string } {
  const d = decideServerArgv(words(line), opts);
  if (d.ok) throw new Error(`accepted: ${d.argv.join(" ")}`);
  return d.refusal;
}

// What Linux 6.1's kbuild passes for an x86_64 object (tinyconfig, gcc 12), as a real client sends it
// in protocol 2 (preprocessor options stripped) and in protocol 3 (everything).
const KERNEL =
  "-Wall -Wundef -Werror=strict-prototypes -Wno-trigraphs -fno-strict-aliasing -fno-common -fshort-wchar -fno-PIE " +
  "-Werror=implicit-function-declaration -Werror=implicit-int -Werror=return-type -Wno-format-security -std=gnu11 " +
  "-mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -fcf-protection=none -m64 -falign-jumps=1 -falign-loops=1 " +
  "-mno-80387 -mno-fp-ret-in-387 -mpreferred-stack-boundary=3 -mskip-rax-setup -mtune=generic -mno-red-zone " +
  "-mcmodel=kernel -Wno-sign-compare -fno-asynchronous-unwind-tables -mindirect-branch=thunk-extern " +
  "-mindirect-branch-register -mindirect-branch-cs-prefix -mfunction-return=thunk-extern -fno-jump-tables " +
  "-fpatchable-function-entry=16,16 -fno-delete-null-pointer-checks -Wno-frame-address -Wno-format-truncation " +
  "-Wno-format-overflow -Wno-address-of-packed-member -O2 -fno-allow-store-data-races -Wframe-larger-than=2048 " +
  "-fstack-protector-strong -Wno-main -Wno-unused-but-set-variable -Wno-unused-const-variable -Wno-dangling-pointer " +
  "-fomit-frame-pointer -ftrivial-auto-var-init=zero -fno-stack-clash-protection -fzero-call-used-regs=used-gpr " +
  "-Wdeclaration-after-statement -Wvla -Wno-pointer-sign -Wcast-function-type -Wno-stringop-truncation " +
  "-Wno-stringop-overflow -Wno-restrict -Wno-maybe-uninitialized -Wno-array-bounds -Wno-alloc-size-larger-than " +
  "-Wimplicit-fallthrough=5 -fno-strict-overflow -fno-stack-check -fconserve-stack -Werror=date-time " +
  "-Werror=incompatible-pointer-types -Werror=designated-init -Wno-packed-not-aligned -g -gdwarf-5 -pg -mrecord-mcount " +
  "-mfentry -Wa,--noexecstack -Wa,-mx86-used-note=no -Wa,-mrelax-relocations=no -Wa,--gdwarf-5 -fmin-function-alignment=16 " +
  "-fstrict-flex-arrays=3 -fsanitize=kernel-address -fsanitize-coverage=trace-pc -mstack-protector-guard-reg=gs " +
  "-mstack-protector-guard-symbol=__stack_chk_guard";

describe("what the server runs for a normal compile", () => {
  it("protocol 2: the input compiled as preprocessed text, every output word gone", () => {
    const d = accepted("gcc -O2 -g -Wall -c hello.c -o obj/hello.o");
    expect(d.argv).toEqual(["gcc", "-O2", "-g", "-Wall", "-c", "-x", "cpp-output", "hello.c"]);
    expect(serverJobCommand(d, { input: "/job/input.i", output: "/job/output.o" }).argv).toEqual([
      "gcc",
      "-O2",
      "-g",
      "-Wall",
      "-c",
      "-x",
      "cpp-output",
      "/job/input.i",
      "-o",
      "/job/output.o",
    ]);
  });

  it.each([
    ["g++ -c x.cpp -o x.o", "c++-cpp-output"],
    ["gcc -x c++ -c x.c -o x.o", "c++-cpp-output"],
    ["gcc -xc -c x.cc -o x.o", "cpp-output"],
    ["gcc -x objective-c -c x.m -o x.o", "objective-c-cpp-output"],
    ["gcc -c x.i -o x.o", "cpp-output"],
    ["g++ -c x.ii -o x.o", "c++-cpp-output"],
    ["gcc -x c -c x.c -x none -o x.o", "cpp-output"],
  ])("protocol 2: %s is compiled as %s", (line, language) => {
    const d = accepted(line);
    expect(d.language).toBe(language);
    expect(d.argv[d.inputIndex - 2]).toBe("-x");
    expect(d.argv[d.inputIndex - 1]).toBe(language);
    expect(d.argv.filter((a) => a === "-x" || a.startsWith("-xc"))).toHaveLength(1);
  });

  it.each(["gcc -x assembler-with-cpp -c x.c -o x.o", "gcc -x go -c x.c -o x.o", "gcc -x c-header -c x.c -o x.o"])(
    "%s: refused (the server compiles C-family text only)",
    (line) => expect(refused(line).why).toMatch(/C, C\+\+|C-family/),
  );

  it("the Linux kernel's flags pass, in protocol 2 and 3", () => {
    const v2 = accepted(`gcc ${KERNEL} -fdirectives-only -c -o kernel/fork.o kernel/fork.c`);
    expect(v2.argv.join(" ")).toContain("-Wa,-mx86-used-note=no");
    const v3 = accepted(
      `gcc -Wp,-MMD,kernel/.fork.o.d -nostdinc -I./arch/x86/include -I./include -include ./include/linux/kconfig.h -D__KERNEL__ ${KERNEL} -DKBUILD_BASENAME="fork" -c -o kernel/fork.o kernel/fork.c`,
      p3,
    );
    // The kernel's -Wp,-MMD,FILE becomes the driver's -MMD: the .d is the server's own.
    expect(v3.argv).toContain("-MMD");
    expect(v3.argv.join(" ")).not.toContain(".fork.o.d");
    expect(v3.argv.join(" ")).toContain("-include ./include/linux/kconfig.h");
  });

  it.each([
    "-fPIC -fvisibility=hidden -fvisibility-inlines-hidden -ffunction-sections -fdata-sections -fstack-protector-strong",
    "-fdebug-prefix-map=/build/x=. -ffile-prefix-map=/b=. -fmacro-prefix-map=/b=. -fcf-protection -fexceptions -fno-rtti -fopenmp",
    "-pthread -std=gnu++17 -fdiagnostics-color=always -fmessage-length=0 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer",
    "-flto=auto -ffat-lto-objects -fuse-linker-plugin -fno-plt -fasynchronous-unwind-tables -fstack-clash-protection -Wdate-time",
    "-ffp-contract=off -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize-address-use-after-scope -fcolor-diagnostics",
    "-ferror-limit=19 -ftemplate-backtrace-limit=0 -fwrapv -fPIE -fno-math-errno -march=armv8-a+crc -mfpu=neon -mfloat-abi=hard",
    "-ggdb -gsplit-dwarf -gz -fdebug-types-section -fno-eliminate-unused-debug-types --param=ssp-buffer-size=4 -fcoroutines",
    "-fno-builtin-memcpy -fmax-errors=10 -fpack-struct=4 -finline-limit=600 -fstack-usage -Wstack-usage=4096 -frecord-gcc-switches",
    "-fno-pch-timestamp -stdlib=libc++ --sysroot=/opt/sysroot -ftabstop=4",
    "-Qunused-arguments -Werror=format-security -Wformat -D_FORTIFY_SOURCE=2 -fuse-ld=lld -fcallgraph-info=su",
  ])("what common builds pass is accepted: %s", (flags) => {
    accepted(`gcc ${flags} -c x.c -o x.o`);
    accepted(`gcc ${flags} -c x.c -o x.o`, p3);
  });

  it("clang's own options pass when the compiler is clang", () => {
    const clang: ServerPolicyOptions = { protocol: 2, clang: true };
    accepted(
      "clang -Xclang -fno-pch-timestamp --target=aarch64-linux-gnu -target arm-linux-gnueabihf -mllvm -inline-threshold=100 -c x.c -o x.o",
      clang,
    );
    accepted("clang -Xclang -fno-pch-timestamp --target=aarch64-linux-gnu -c x.c -o x.o", { ...p3, clang: true });
  });

  it("-D and -U values that are empty or start with - are refused (no macro name; only ever meant for another reader)", () => {
    for (const line of [
      "gcc -D -fplugin=./p.so -c x.c",
      "gcc -U -fplugin=./p.so -c x.c",
      "clang -D -fplugin=./p.so -c x.c",
    ]) {
      for (const opts of [{ protocol: 2 as const }, p3]) {
        const d = decideServerArgv(words(line), opts);
        expect(d.ok ? "" : d.refusal.why, line).toMatch(/is no macro name/);
      }
    }
    const empty = decideServerArgv(["gcc", "-D", "", "-c", "x.c"], p3);
    expect(empty.ok ? "" : empty.refusal.why).toMatch(/is no macro name/);
    expect(decideServerArgv(words("gcc -DX=-1 -D Y -UZ -c x.c"), p3).ok).toBe(true);
  });

  it("-Xclang: a cc1 option that reads its next word as a file is refused (it would swallow the next word)", () => {
    const clang: ServerPolicyOptions = { protocol: 2, clang: true };
    for (const option of ["-fopenmp-host-ir-file-path", "-fdebug-compilation-dir", "-fmodule-file"]) {
      expect(refused(`clang -Xclang ${option} -Xclang -fno-pch-timestamp -c x.c -o x.o`, clang).why).toMatch(
        /cc1 reads its next word as a file or directory|module files/,
      );
    }
    expect(refused("clang -Xclang -fopenmp-host-ir-file-path -c x.c -o x.o", { ...p3, clang: true }).why).toContain(
      "cc1 reads its next word as a file or directory",
    );
  });

  it("protocol 2: linker and include-path options are dropped (no linker runs; the text is preprocessed)", () => {
    expect(
      accepted("gcc -c x.c -o x.o -L/lib -lm -Wl,-z,now -Xlinker -x -I/etc -isystem /usr/include -static").argv,
    ).toEqual(["gcc", "-c", "-x", "cpp-output", "x.c"]);
  });

  it("protocol 3: absolute include paths and input move under the root, the first -MT becomes the .d target", () => {
    const d = accepted(
      "gcc -I/usr/include/x -Iinc -isystem /opt/s -MD -MF dep.d -MT obj/x.o -c /src/proj/x.c -o obj/x.o",
      p3,
    );
    const job = serverJobCommand(d, {
      input: "",
      output: "/job/output.o",
      root: "/job/root",
      depsFile: "/job/output.deps",
    });
    expect(job.argv).toEqual([
      "gcc",
      "-fmacro-prefix-map=/job/root=",
      "-fdebug-prefix-map=/job/root=",
      "-I",
      "/job/root/usr/include/x",
      "-I",
      "inc",
      "-isystem",
      "/job/root/opt/s",
      "-MD",
      "-c",
      "/job/root/src/proj/x.c",
      "-o",
      "/job/output.o",
      "-MF",
      "/job/output.deps",
    ]);
    expect(job.dependencyTarget).toBe("obj/x.o");
    expect(serverJobCommand(accepted("gcc -c x.c", p3), { input: "", output: "/o.o", root: "/r" }).argv).toEqual([
      "gcc",
      "-fmacro-prefix-map=/r=",
      "-fdebug-prefix-map=/r=",
      "-c",
      "x.c",
      "-o",
      "/o.o",
      "-MMD",
      "-MF",
      "/o.o.deps",
    ]);
  });

  it("protocol 3: the client's absolute prefix maps move under the root, after the server's own (the last given wins)", () => {
    const d = accepted(
      "gcc -fmacro-prefix-map=/src/proj/=./ -ffile-prefix-map=rel=x -fdebug-prefix-map=/src=/build -MD -MQ -fmacro-prefix-map=/a=b -c /src/proj/x.c",
      p3,
    );
    const argv = serverJobCommand(d, { input: "", output: "/j/o.o", root: "/j/root" }).argv;
    expect(argv.slice(0, 8)).toEqual([
      "gcc",
      "-fmacro-prefix-map=/j/root=",
      "-fdebug-prefix-map=/j/root=",
      "-fmacro-prefix-map=/j/root/src/proj/=./",
      "-ffile-prefix-map=rel=x",
      "-fdebug-prefix-map=/j/root/src=/build",
      "-MD",
      "-MQ",
    ]);
    // An -MQ value that looks like a map is a value, not a map.
    expect(argv[8]).toBe("-fmacro-prefix-map=/a=b");
  });
});

describe("options that load code, write files or read files on the helper are refused in every spelling", () => {
  it.each([
    [
      "gcc --plugin=./input.i -c x.c -o x.o",
      "-fplugin=./input.i",
      /long spelling of -fplugin=\.\/input\.i, which loads code/,
    ],
    ["gcc -fplugin=./input.i -c x.c -o x.o", "-fplugin=./input.i", /loads code/],
    [
      "gcc -fcompare-debug=-fplugin=./evil.so -c x.c -o x.o",
      "-fcompare-debug=-fplugin=./evil.so",
      /re-runs the compile/,
    ],
    ["gcc --compare-debug=-fplugin=./evil.so -c x.c -o x.o", "-fcompare-debug=-fplugin=./evil.so", /long spelling/],
    ["gcc -Wa,--M=/tmp/x -c x.c -o x.o", "-Wa,--M=/tmp/x", /assembler option "--M=\/tmp\/x"/],
    ["gcc -Xassembler --M=/tmp/x -c x.c -o x.o", "-Xassembler --M=/tmp/x", /assembler option/],
    ["gcc --for-assembler=--MD=/tmp/x -c x.c -o x.o", "-Xassembler --MD=/tmp/x", /long spelling of -Xassembler/],
    ["gcc --for-assembler=-a=/tmp/x -c x.c -o x.o", "-Xassembler -a=/tmp/x", /long spelling/],
    ["gcc --dump-tree-original=/tmp/x -c x.c -o x.o", "-fdump-tree-original=/tmp/x", /dumps compiler internals/],
    ["gcc --dump-rtl-final=/tmp/x -c x.c -o x.o", "-fdump-rtl-final=/tmp/x", /dumps/],
    ["gcc --dump-final-insns=/tmp/x -c x.c -o x.o", "-fdump-final-insns=/tmp/x", /dumps/],
    ["gcc --dump-go-spec=/tmp/x -c x.c -o x.o", "-fdump-go-spec=/tmp/x", /dumps/],
    ["gcc --opt-info-all=/tmp/x -c x.c -o x.o", "-fopt-info-all=/tmp/x", /dumps/],
    ["gcc --test-coverage --profile-note=/tmp/x -c x.c -o x.o", "-ftest-coverage", /profile/],
    ["gcc -fprofile-note=/tmp/x -c x.c -o x.o", "-fprofile-note=/tmp/x", /profile/],
    ["gcc --include=/etc/passwd -c x.c -o x.o", "-include /etc/passwd", /long spelling of -include/],
    ["gcc -include /etc/passwd -c x.c -o x.o", "-include /etc/passwd", /reads a server file/],
    ["gcc -specs=/tmp/s -c x.c -o x.o", "-specs /tmp/s", /specs/],
    ["gcc -B/tmp/ -c x.c -o x.o", "-B/tmp/", /run programs/],
    ["gcc -wrapper /bin/sh -c x.c -o x.o", "-wrapper /bin/sh", /run programs/],
    ["gcc @/etc/passwd -c x.c -o x.o", "@/etc/passwd", /@file/],
  ])("%s: refused as %s", (line, canonical, why) => {
    const r = refused(line);
    expect(r.canonical).toBe(canonical);
    expect(r.why).toMatch(why);
    // Pump mode is no way around it (there an absolute -include is moved under the job's root).
    const pump = decideServerArgv(words(line), p3);
    if (line.startsWith("gcc -include")) {
      expect(pump.ok && serverJobCommand(pump, { input: "", output: "/j/o.o", root: "/j/root" }).argv).toContain(
        "/j/root/etc/passwd",
      );
    } else {
      expect(pump.ok).toBe(false);
    }
  });

  it.each([
    "gcc -c x.c --output=/tmp/evil.o",
    "gcc -c x.c --output /tmp/evil.o -o x.o",
    "gcc -MQ -ofoo -o /tmp/evil.o -S x.c",
    "gcc -c x.c -o x.o -o/tmp/evil.o",
    "gcc -D -o -c x.c -o /tmp/evil.o",
  ])("%s: the output words go, the server's -o is the only one", (line) => {
    const d = decideServerArgv(words(line), p2);
    if (!d.ok) {
      // --output is refused rather than rewritten; `-D -o` is no macro name
      expect(d.refusal.why).toMatch(/long spelling|is no macro name/);
      return;
    }
    const job = serverJobCommand(d, { input: "/job/in.i", output: "/job/out.o" });
    expect(job.argv.join(" ")).not.toContain("/tmp/evil.o");
    expect(job.argv.slice(-2)).toEqual(["-o", "/job/out.o"]);
  });

  it("-MQ keeps its own argument (-ofoo is a make target, not an output)", () => {
    const d = accepted("gcc -MQ -ofoo -o /tmp/evil.o -c x.c", p3);
    expect(d.argv).toEqual(["gcc", "-MQ", "-ofoo", "-c", "x.c"]);
  });

  it("protocol 3: paths that climb out of the root, or are sysroot-relative, are refused", () => {
    expect(refused("gcc -I../../../../etc -c x.c -o x.o", p3).why).toMatch(/climbs/);
    expect(refused("gcc -include ../../../../etc/passwd -c x.c -o x.o", p3).why).toMatch(/climbs/);
    expect(refused("gcc -isystem =/etc -c x.c -o x.o", p3).why).toMatch(/sysroot/);
    expect(accepted("gcc -Wp,-MD,/tmp/evil.d,-DX -c x.c -o x.o", p3).argv).toEqual([
      "gcc",
      "-Wp,-DX",
      "-MD",
      "-c",
      "x.c",
    ]);
    expect(accepted("gcc -Wp,-MF,out/evil.d -c x.c -o x.o", p3).argv).toEqual(["gcc", "-c", "x.c"]);
    expect(refused("gcc -c ../../../x.c -o x.o", p3).why).toMatch(/climbs/);
  });
});

describe("clang's options for gcc (a fresh attacker's try)", () => {
  // gcc has no -target, -mllvm or -Xclang: it reads the next word as its own. `-target -specs x.c`
  // loaded the client's specs file (its code ran, inside the sandbox), `-target y` hid a second input.
  it.each([
    "gcc -target -specs x.c -x c -target y -c -o x.o",
    "gcc -target -Bbdir -c x.c -o x.o",
    "gcc -target y -c x.c -o x.o",
    "gcc -mllvm -B=bdir -c x.c -o x.o",
    "gcc -Xclang -fno-pch-timestamp -c x.c -o x.o",
    "gcc --target=x86_64-linux-gnu -c x.c -o x.o",
  ])("refused for gcc, in every protocol: %s", (line) => {
    for (const opts of [p2, p3, { protocol: 1 } as ServerPolicyOptions])
      expect(refused(line, opts).why).toMatch(/is a clang option: gcc would read/);
  });

  it("clang with a relative sysroot and an external assembler is refused (A9: a LINKed make ran as the assembler)", () => {
    const clang: ServerPolicyOptions = { ...p3, clang: true };
    expect(refused("clang -target m68k-linux-gnu --sysroot=sr -c x.c -o x.o", clang).why).toMatch(/relative sysroot/);
    expect(refused("clang -isysroot sr -c x.c -o x.o", clang).why).toMatch(/relative sysroot/);
    expect(refused("clang -no-integrated-as -c x.c -o x.o", clang).why).toMatch(/external assembler/);
    expect(refused("gcc -fno-integrated-as -c x.c -o x.o", p2).why).toMatch(/external assembler/);
    // A13: an absolute name of the client's tree all the same.
    expect(refused("clang -target sparc-linux-gnu --sysroot=/proc/self/cwd/sr -c x.c -o x.o", clang).why).toMatch(
      /under \/proc/,
    );
    expect(refused("clang --sysroot=/opt/../proc/self/cwd -c x.c -o x.o", clang).why).toMatch(/"\.\."/);
    accepted("clang --sysroot=/opt/sysroot -c x.c -o x.o", clang);
  });

  it("a target triple never starts with a dash, even for clang", () => {
    expect(refused("clang -target -Bbdir -c x.c -o x.o", { protocol: 2, clang: true }).why).toMatch(
      /not a target triple/,
    );
  });
});

describe("what a real client sends passes", () => {
  // Found by the property below: the client appended `-o hello.o` after a trailing `-xc`, and the
  // server's distcc scan (distccd's too) read "-o" as -x's language and dropped the job. For gcc a
  // -x after the last input has no effect, so the client now puts `-o` before it.
  it("a command ending in -xLANG: the client's rewrite keeps the server's scan and policy happy (gcc hello.c -c -xc)", () => {
    for (const tail of [["-xc"], ["-xc++"]]) {
      const scan = scanArgs(["gcc", "hello.c", "-c", ...tail], noFiles);
      if (!scan.distributable) throw new Error(`local: ${JSON.stringify(scan.reason)}`);
      expect(scan.argv).toEqual(["gcc", "hello.c", "-c", "-o", "hello.o", ...tail]);
      for (const protocol of [1, 2, 3] as const) {
        const wire = serverArgv(scan, protocol);
        expect(scanExpandedArgs(wire)).toMatchObject({ distributable: true, input: "hello.c", output: "hello.o" });
        const d = decideServerArgv(wire, { protocol, cwd: "/src" });
        expect(d.ok ? "" : `${d.refusal.spelled}: ${d.refusal.why}`).toBe("");
      }
    }
    // A bare trailing -x stays last (gcc: "missing argument to '-x'", as it would locally), never
    // reading the -o as its language; the policy refuses it by name.
    const bare = scanArgs(["gcc", "hello.c", "-c", "-x"], noFiles);
    expect(bare.argv).toEqual(["gcc", "hello.c", "-c", "-o", "hello.o", "-x"]);
    expect(refused(bare.argv.join(" ")).why).toMatch(/-x needs an argument/);
    // A `-x c` pair at the end was never a problem: -o follows "c", not "-x…".
    const pair = scanArgs(["gcc", "hello.c", "-c", "-x", "c"], noFiles);
    expect(pair.argv).toEqual(["gcc", "hello.c", "-c", "-x", "c", "-o", "hello.o"]);
  });

  // The ordinary pieces, and options common builds pass.
  const commandLine = commandLineOf([
    ["-Wa,--noexecstack"],
    ["-pipe"],
    ["-fno-common"],
    ["-gdwarf-4"],
    ["-Werror=vla"],
    ["-march=x86-64-v2"],
    ["-pthread"],
  ]);

  it("the wire argv of any distributable command built from ordinary options is accepted, in every protocol", () => {
    fc.assert(
      fc.property(commandLine, fc.constantFrom(1 as const, 2 as const, 3 as const), (argv, protocol) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        const d = decideServerArgv(serverArgv(scan, protocol), { protocol, cwd: "/src" });
        expect(d.ok ? "" : `${d.refusal.spelled}: ${d.refusal.why}`).toBe("");
      }),
      { numRuns: 500 },
    );
  });
});
