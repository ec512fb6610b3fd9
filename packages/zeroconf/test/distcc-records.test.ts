import { describe, expect, it } from "vitest";
import {
  distccHostFor,
  distccServerTxt,
  distccSubtype,
  dnssdLabelChars,
  isValidSubtype,
  parseTxt,
} from "../src/index.js";

describe("distcc's DNS-SD records (docs/spec/zeroconf.md)", () => {
  it("names subtypes as dcc_make_dnssd_subtype: a-z0-9 kept, capitals lowered, anything else '-'", () => {
    expect(distccSubtype("x86_64-linux-gnu", "12")).toBe("_x86-64-linux-gnu--12");
    expect(distccSubtype("arm-linux-gnueabihf", "12")).toBe("_arm-linux-gnueabihf--12");
    expect(distccSubtype("x86_64-pc-linux-gnu", "14.0.6")).toBe("_x86-64-pc-linux-gnu--14-0-6");
    expect(dnssdLabelChars("ARMv7_Hf é")).toBe("armv7-hf---"); // é is two bytes: two '-'
  });

  it("refuses subtypes longer than one DNS label (63 bytes)", () => {
    expect(isValidSubtype(distccSubtype("a".repeat(50), "12.2.0"))).toBe(true);
    expect(isValidSubtype(distccSubtype("a".repeat(60), "12.2.0"))).toBe(false);
  });

  it("writes distccd's TXT keys in its order, then ours, dropping one over 255 bytes", () => {
    const txt = distccServerTxt({
      cpus: 2,
      jobs: 4,
      ccMachine: "x86_64-linux-gnu",
      ccVersion: "12",
      extra: ["x_a=1", `x_b=${"y".repeat(260)}`],
    });
    expect(txt).toEqual([
      "txtvers=1",
      "cpus=2",
      "jobs=4",
      "distcc=3.4",
      "gnuhost=x86_64-pc-linux-gnu",
      "cc_version=12",
      "cc_machine=x86_64-linux-gnu",
      "x_a=1",
    ]);
    expect(distccServerTxt({ cpus: 1, jobs: 3 })).not.toContain("cc_machine");
  });

  it("makes a host of a found service as distcc: jobs from TXT, else cpus + 2; IPv6 bracketed", () => {
    const base = { key: "k", name: "distcc@vm", host: "vm.local", address: "10.0.0.2", port: 3632 };
    expect(distccHostFor({ ...base, txt: { jobs: "5", cpus: "2" } }).spec).toBe("10.0.0.2:3632/5");
    expect(distccHostFor({ ...base, txt: { cpus: "6" } }).spec).toBe("10.0.0.2:3632/8");
    expect(distccHostFor({ ...base, txt: { jobs: "0", cpus: "-1" } }).spec).toBe("10.0.0.2:3632/3");
    expect(distccHostFor({ ...base, address: "fe80::1", txt: {} }).spec).toBe("[fe80::1]:3632/3");
  });

  it("reads TXT strings: keys lowered, a bare key is empty, the first of a key wins", () => {
    const enc = (s: string) => Buffer.from(s);
    expect(parseTxt([enc("CPUS=2"), enc("flag"), enc("cpus=9"), enc("a=b=c")])).toEqual({
      cpus: "2",
      flag: "",
      a: "b=c",
    });
  });
});
