import { describe, expect, it } from "vitest";
import { AllowList, PRIVATE_RANGES, parseAllowRule } from "./allow-list.js";

describe("AllowList", () => {
  it("matches IPv4 networks and single hosts", () => {
    const list = new AllowList(["10.0.0.0/8", "192.168.1.7"]);
    expect(list.allows("10.255.1.2")).toBe(true);
    expect(list.allows("11.0.0.1")).toBe(false);
    expect(list.allows("192.168.1.7")).toBe(true);
    expect(list.allows("192.168.1.8")).toBe(false);
  });

  it("matches IPv4-mapped IPv6 peers against IPv4 rules", () => {
    const list = new AllowList(["127.0.0.1"]);
    expect(list.allows("::ffff:127.0.0.1")).toBe(true);
    expect(list.allows("::ffff:127.0.0.2")).toBe(false);
  });

  it("matches IPv6 networks", () => {
    const list = new AllowList(["fd00::/8", "::1"]);
    expect(list.allows("fd12:3456::1")).toBe(true);
    expect(list.allows("fe80::1")).toBe(false);
    expect(list.allows("::1")).toBe(true);
    expect(list.allows("::2")).toBe(false);
  });

  it("has the private ranges of --allow-private, ::1 included", () => {
    const list = new AllowList(PRIVATE_RANGES);
    for (const a of ["10.1.2.3", "172.20.0.1", "192.168.0.9", "127.0.0.1", "fe80::1", "fd00::5", "::1"]) {
      expect(list.allows(a), a).toBe(true);
    }
    for (const a of ["8.8.8.8", "172.32.0.1", "2001:db8::1"]) expect(list.allows(a), a).toBe(false);
  });

  it("/0 matches everything of its family", () => {
    expect(new AllowList(["0.0.0.0/0"]).allows("1.2.3.4")).toBe(true);
    expect(new AllowList(["0.0.0.0/0"]).allows("::1")).toBe(false);
  });

  it("rejects bad entries with a message that shows the expected form", () => {
    expect(() => parseAllowRule("10.0.0.0/33")).toThrow(/from 0 to 32/);
    expect(() => parseAllowRule("example.com")).toThrow(/IP or IP\/BITS/);
    expect(() => parseAllowRule("::1/129")).toThrow(/0 to 128/);
    try {
      parseAllowRule("nope");
    } catch (err) {
      expect((err as { code: string }).code).toBe("DISTCC_SERVER_ERR_ALLOW");
    }
  });
});
