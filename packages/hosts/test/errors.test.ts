// Errors name the entry, the column, what was expected and a valid example (which must parse).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HostSpecError, parseHostList } from "../src/index.js";
import { hostLineText } from "./host-line-arbitrary.js";

function errorOf(text: string, source?: string): HostSpecError {
  try {
    parseHostList(text, source === undefined ? {} : { source });
  } catch (e) {
    if (e instanceof HostSpecError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("HostSpecError", () => {
  it("names the entry, the column, the problem and a correct example", () => {
    const e = errorOf("helper:abc");
    expect(e.message).toBe("bad port in 'helper:abc' at column 8: expected a number 1-65535, e.g. helper:3632");
    expect(e).toMatchObject({
      code: "DISTCC_ERR_HOSTSPEC",
      problem: "bad-port",
      entry: "helper:abc",
      column: 8,
      example: "helper:3632",
    });
  });

  it.each([
    ["a host/0", "bad-limit", "host/0", 8, "host/4"],
    ["a localhost/0", "bad-limit", "localhost/0", 13, "localhost/4"],
    ["h:3700/0", "bad-limit", "h:3700/0", 8, "h:3700/4"],
    ["127.0.0.1,cpp", "cpp-without-compression", "127.0.0.1,cpp", 11, "127.0.0.1,cpp,lzo"],
    ["b 127.0.0.1,bogus", "unknown-option", "127.0.0.1,bogus", 13, "127.0.0.1,lzo"],
    ["[::1", "unclosed-ipv6", "[::1", 5, "[::1]"],
    ["::1", "missing-host", "::1", 1, "[::1]"],
    [":3700", "missing-host", ":3700", 1, "host:3700"],
    ["x a@", "missing-host", "a@", 5, "a@host"],
    ["h:12x/3", "bad-port", "h:12x/3", 3, "h:3632"],
  ])("%j: %s in %j at column %i, e.g. %s", (text, problem, entry, column, example) => {
    const e = errorOf(text);
    expect(e).toMatchObject({ problem, entry, column, example });
    expect(e.message).toContain(`'${entry}' at column ${column}: expected ${e.expected}, e.g. ${example}`);
  });

  it("gives line and column for host files, and the source", () => {
    const e = errorOf("# build farm\nfast/8\nslow:abc\n", "/etc/distcc/hosts");
    expect(e).toMatchObject({ line: 3, lineColumn: 6, column: 26, source: "/etc/distcc/hosts" });
    expect(e.message).toBe(
      "/etc/distcc/hosts: bad port in 'slow:abc' at line 3 column 6: expected a number 1-65535, e.g. slow:3632",
    );
  });

  it("says when distcc read past the end of the entry", () => {
    expect(errorOf("a#,cpp b").message).toMatch(/reads on past the end of the entry/);
  });

  it("truncates very long entries", () => {
    expect(errorOf(`${"x".repeat(500)}:abc`).message.length).toBeLessThan(200);
  });

  it("for every generated line that is refused, the example is valid and the column is inside the text", () => {
    fc.assert(
      fc.property(hostLineText, (text) => {
        let error: HostSpecError | undefined;
        try {
          parseHostList(text);
        } catch (e) {
          if (!(e instanceof HostSpecError)) throw e;
          error = e;
        }
        if (error === undefined) return;
        expect(error.column).toBeGreaterThanOrEqual(1);
        expect(error.column).toBeLessThanOrEqual(text.length + 1);
        expect(error.example.length).toBeGreaterThan(0);
        expect(() => parseHostList(error.example)).not.toThrow();
      }),
      { numRuns: 1000, seed: 42 },
    );
  });
});
