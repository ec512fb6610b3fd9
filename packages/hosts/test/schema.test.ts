// The zod schema accepts what the parser produces (also after a JSON round trip) and rejects
// shapes a config file could get wrong.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HostSpecError, hostEntrySchema, hostListSchema, parseHostList, type HostList } from "../src/index.js";
import { hostLineText } from "./host-line-arbitrary.js";

describe("hostListSchema", () => {
  it("accepts every parsed list, unchanged after JSON", () => {
    fc.assert(
      fc.property(hostLineText, (text) => {
        let list: HostList;
        try {
          list = parseHostList(text, { random: () => 0 });
        } catch (e) {
          if (e instanceof HostSpecError) return;
          throw e;
        }
        const json = JSON.parse(JSON.stringify(list)) as unknown;
        expect(hostListSchema.parse(json)).toEqual(list);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it.each<[unknown, string]>([
    [
      {
        kind: "tcp",
        spec: "h",
        host: "a b",
        port: 3632,
        limit: 4,
        protocol: 1,
        compression: "none",
        cpp: false,
        down: false,
        options: [],
      },
      "space in host",
    ],
    [
      {
        kind: "tcp",
        spec: "h",
        host: "h",
        port: 3632,
        limit: 4,
        protocol: 4,
        compression: "none",
        cpp: false,
        down: false,
        options: [],
      },
      "protocol 4",
    ],
    [
      {
        kind: "tcp",
        spec: "h",
        host: "h",
        port: 3632,
        limit: 4,
        protocol: 1,
        compression: "zstd",
        cpp: false,
        down: false,
        options: [],
      },
      "zstd",
    ],
    [
      {
        kind: "ssh",
        spec: "h",
        host: "h:1",
        limit: 4,
        protocol: 1,
        compression: "none",
        cpp: false,
        down: false,
        options: [],
      },
      "':' in an ssh host",
    ],
    [{ kind: "local", spec: "localhost", limit: 1.5 }, "fractional limit"],
    [{ kind: "remote", spec: "x" }, "unknown kind"],
  ])("rejects %j (%s)", (entry: unknown) => {
    expect(hostEntrySchema.safeParse(entry).success).toBe(false);
  });
});
