// The printer gives a canonical line that parses back to the same structure.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  HostSpecError,
  formatHostEntry,
  formatHostList,
  hostListSchema,
  parseHostList,
  type HostList,
} from "../src/index.js";
import { hostLineChaos, hostLineText } from "./host-line-arbitrary.js";

/** The structure without what is allowed to differ: entry texts and warnings. */
function structure(list: HostList): unknown {
  const { warnings: _w, hosts, ...settings } = list;
  return { ...settings, hosts: hosts.map(({ spec: _s, ...rest }) => rest) };
}

const keepOrder = { random: () => 0 };

describe("formatHostList", () => {
  it.each([
    ["localhost", "localhost"],
    ["localhost/2", "localhost"],
    ["localhost/3,lzo", "localhost/3"],
    ["h:3632/4", "h"],
    ["h/8:3700,lzo,cpp", "h:3700/8,lzo,cpp"],
    ["h/8:3700,lzofoo,cpp", "h:3700/8,lzo"],
    ["[::1]:3700/3,lzo", "[::1]:3700/3,lzo"],
    ["[x]", "x"],
    ["localhost:3632", "localhost:3632"],
    ["+zeroconf/2", "+zeroconf:3632/2"],
    ["@h/4", "@h"],
    ["u@h/6:/opt/bin/distccd,lzo,auth=", "u@h/6:/opt/bin/distccd,lzo,auth"],
    ["--localslots_cpp=5 a --randomize --localslots/3", "--randomize --localslots=3 --localslots_cpp=5 a"],
    ["a +zeroconf b", "a +zeroconf b"],
    ["a#b c\nd", "a#b\nd"],
    ["[--randomize]", "[--randomize]"],
    ["[\v]", "[\v]"],
    ["[#]", "[#]"],
    ["[--localslots_cpp]:3700", "[--localslots_cpp]:3700"],
    ["--localslots=0 a", "[--localslots=0] a"],
    ["--localslots=0]", "--localslots=0]"],
  ])("%j prints as %j", (text, line) => {
    expect(formatHostList(parseHostList(text, keepOrder))).toBe(line);
  });

  it("formats single entries", () => {
    const [host] = parseHostList("h:3700,lzo").hosts;
    expect(host && formatHostEntry(host)).toBe("h:3700,lzo");
  });

  it("property: on random strings over the grammar's alphabet, parse only ever throws HostSpecError and round-trips", () => {
    fc.assert(
      fc.property(hostLineChaos, (line) => {
        let first: HostList;
        try {
          first = parseHostList(line, keepOrder);
        } catch (e) {
          if (e instanceof HostSpecError) return;
          throw e;
        }
        expect(structure(parseHostList(formatHostList(first), keepOrder))).toEqual(structure(first));
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it("property: parse(format(parse(x))) equals parse(x), spec and warnings aside", () => {
    let checked = 0;
    fc.assert(
      fc.property(hostLineText, (text) => {
        let first: HostList;
        try {
          first = parseHostList(text, keepOrder);
        } catch (e) {
          if (e instanceof HostSpecError) return;
          throw e;
        }
        checked++;
        const line = formatHostList(first);
        const second = parseHostList(line, keepOrder);
        expect(structure(second)).toEqual(structure(first));
        // Canonical: printing again changes nothing.
        expect(formatHostList(second)).toBe(line);
        hostListSchema.parse(second);
      }),
      { numRuns: 2000, seed: 7 },
    );
    expect(checked).toBeGreaterThan(500);
  });
});
