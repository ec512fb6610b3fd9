// Properties of the scan and of the commands derived from it, on command lines built from the
// grammar's pieces and on arbitrary words.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { preprocessorArgv, serverArgv } from "./commands.js";
import { findForbiddenServerOption } from "./forbidden.js";
import { scanArgs, scanExpandedArgs } from "./scan.js";
import { rewriteServerCommand } from "./server-rewrite.js";
import { commandLineOf, noFiles } from "./argv-arbitrary.js";

// The ordinary pieces, and what the scan must refuse or treat specially.
const commandLine = commandLineOf([
  ["-E"],
  ["-M"],
  ["-x", "assembler"],
  ["-march=native"],
  ["-flto"],
  ["-fprofile-arcs"],
  ["-o", "-"],
  ["x.o"],
  ["foo.s"],
  ["-"],
  ["conftest.c"],
  ["-Wa,-al"],
  ["-specs=s"],
  ["-drtl"],
  ["-frepo"],
  ["--target=arm-linux-gnueabihf"],
]);

describe("scan properties", () => {
  it("never throws, even on arbitrary words", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (argv) => {
        const result = scanArgs(argv, noFiles);
        expect(typeof result.distributable).toBe("boolean");
      }),
    );
  });

  it("a distributable result is self-consistent", () => {
    fc.assert(
      fc.property(commandLine, (argv) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        expect(scan.argv[scan.inputIndex]).toBe(scan.input);
        const holder = scan.argv[scan.outputIndex]!;
        expect(holder === scan.output || holder === `-o${scan.output}`).toBe(true);
        expect(scan.argv.includes("-c") || scan.argv.includes("-S")).toBe(true);
        expect(scan.output).not.toBe("-");
        // Scanning the result again changes nothing: -o is only appended once.
        const again = scanExpandedArgs(scan.argv);
        expect(again).toMatchObject({ distributable: true, argv: scan.argv, input: scan.input, output: scan.output });
      }),
    );
  });

  it("what we send is accepted by distccd's own scan, with the same input and output (all protocols)", () => {
    fc.assert(
      fc.property(commandLine, fc.constantFrom(1 as const, 2 as const, 3 as const), (argv, protocol) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        const wire = serverArgv(scan, protocol);
        const server = scanExpandedArgs(wire);
        expect(server).toMatchObject({ distributable: true, input: scan.input, output: scan.output });
        // ... and the server can always rewrite it.
        const job =
          protocol === 3 ? { input: "", output: "/t/o.o", root: "/t/r" } : { input: "/t/i.i", output: "/t/o.o" };
        expect(() => rewriteServerCommand(server.distributable ? server.argv : wire, job)).not.toThrow();
      }),
    );
  });

  it("protocol 1/2 wire argv is the command minus preprocessor options, in order", () => {
    fc.assert(
      fc.property(commandLine, (argv) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        const wire = serverArgv(scan, 1);
        let j = 0;
        for (const word of scan.argv) if (j < wire.length && wire[j] === word) j++;
        expect(j).toBe(wire.length);
        for (const w of wire) expect(/^-(D|I|U|MD|MMD|MF|MT|MQ|Wp,|include$)/.test(w)).toBe(false);
      }),
    );
  });

  it("the preprocessor command has -E, no -c/-S/-o", () => {
    fc.assert(
      fc.property(commandLine, (argv) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        const cpp = preprocessorArgv(scan);
        expect(cpp).toContain("-E");
        expect(cpp.some((a) => a === "-c" || a === "-S" || a.startsWith("-o"))).toBe(false);
        expect(cpp).toContain(scan.input);
      }),
    );
  });

  it("a real client's v1/v2 request passes our server refusals unless the user asked for a forbidden option", () => {
    fc.assert(
      fc.property(commandLine, (argv) => {
        const scan = scanArgs(argv, noFiles);
        if (!scan.distributable) return;
        expect(findForbiddenServerOption(serverArgv(scan, 2), { protocol: 2 })).toBeUndefined();
        expect(findForbiddenServerOption(serverArgv(scan, 3), { protocol: 3 })).toBeUndefined();
      }),
    );
  });
});
