import { describe, expect, it } from "vitest";
import { parseHostList } from "@x/distcc-hosts";
import { withFoundHelpers } from "./zeroconf-hosts.js";
import { formatZeroconf } from "./mon/status.js";

const helper = (host: string, port: number, limit: number) => ({
  spec: `${host}:${port}/${limit}`,
  host,
  port,
  limit,
  name: `distcc@${host}`,
  txt: {},
});

describe("+zeroconf's hosts", () => {
  it("stand where +zeroconf stands, as plain TCP hosts with the TXT's limit", () => {
    const list = withFoundHelpers(parseHostList("a/2 +zeroconf localhost"), [
      helper("10.0.0.2", 3632, 4),
      helper("10.0.0.3", 3700, 6),
    ]);
    expect(list.hosts.map((h) => h.spec)).toEqual(["a/2", "10.0.0.2:3632/4", "10.0.0.3:3700/6", "localhost"]);
    expect(list.hosts[2]).toMatchObject({ kind: "tcp", host: "10.0.0.3", port: 3700, limit: 6 });
  });

  it("a helper the list names already is not added twice; no +zeroconf, no change", () => {
    expect(
      withFoundHelpers(parseHostList("10.0.0.2 +zeroconf"), [helper("10.0.0.2", 3632, 4)]).hosts.map((h) => h.spec),
    ).toEqual(["10.0.0.2"]);
    const plain = parseHostList("a b");
    expect(withFoundHelpers(plain, [helper("10.0.0.2", 3632, 4)])).toBe(plain);
  });

  it("mon and summary say how it browses and what it found", () => {
    expect(formatZeroconf({ backend: "Avahi (avahi 0.8) on the system D-Bus", helpers: [] })).toBe(
      "+zeroconf (Avahi (avahi 0.8) on the system D-Bus): no helper found",
    );
    expect(formatZeroconf({ backend: "b", helpers: [{ spec: "10.0.0.2:3632/4", name: "distcc@x" }] })).toBe(
      "+zeroconf (b): 1 helper found: 10.0.0.2:3632/4 (distcc@x)",
    );
  });
});
