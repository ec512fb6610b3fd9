import { describe, expect, it } from "vitest";
import { showAddress, showPeer } from "./client-address.js";

describe("showAddress", () => {
  it("shows an IPv4-mapped address as IPv4", () => {
    expect(showAddress("::ffff:10.9.0.2")).toBe("10.9.0.2");
    expect(showAddress("::FFFF:127.0.0.1")).toBe("127.0.0.1");
    expect(showPeer("::ffff:192.168.1.5", 40000)).toBe("192.168.1.5:40000");
  });
  it("leaves IPv4, real IPv6 and odd text alone", () => {
    expect(showAddress("10.9.0.2")).toBe("10.9.0.2");
    expect(showAddress("::1")).toBe("::1");
    expect(showAddress("fe80::1%eth0")).toBe("fe80::1%eth0");
    expect(showAddress("::ffff:abcd")).toBe("::ffff:abcd");
    expect(showAddress(undefined)).toBe("?");
  });
});
