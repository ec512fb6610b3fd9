// One case per rule of spec section 10.2 (and the quirks found while reading distcc's hosts.c),
// checked field by field. Where a case contradicts intuition, the real distcc agreed with it
// (see the differential and slot-name tests).
import { describe, expect, it } from "vitest";
import { HostSpecError, hostListSchema, parseHostList, totalJobs, type HostList } from "../src/index.js";

function parse(text: string): HostList {
  const list = parseHostList(text, { random: () => 0 });
  hostListSchema.parse(list);
  return list;
}

function codes(list: HostList): string[] {
  return list.warnings.map((w) => w.code);
}

const tcp = {
  kind: "tcp",
  port: 3632,
  limit: 4,
  protocol: 1,
  compression: "none",
  cpp: false,
  down: false,
  options: [],
};

describe("entries and whitespace", () => {
  it.each([
    ["a b", ["a", "b"]],
    ["a\tb\nc\rd\fe", ["a", "b", "c", "d", "e"]],
    ["  a  ", ["a"]],
    ["a\r\nb", ["a", "b"]],
  ])("%j splits into %j", (text, specs) => {
    expect(parse(text).hosts.map((h) => h.spec)).toEqual(specs);
  });

  it("skips \\v between entries but keeps it inside one", () => {
    const list = parse("\va\vb c");
    expect(list.hosts.map((h) => h.spec)).toEqual(["a\vb", "c"]);
    expect(list.hosts[0]).toMatchObject({ kind: "tcp", host: "a\vb" });
  });

  it("a NUL ends the list, as for C strings", () => {
    const list = parse("a\0b");
    expect(list.hosts.map((h) => h.spec)).toEqual(["a"]);
    expect(codes(list)).toContain("DISTCC_WARN_NUL");
  });
});

describe("comments", () => {
  it("run to the end of the line, \\n or \\r", () => {
    expect(parse("a # b c\nd #e\rf").hosts.map((h) => h.spec)).toEqual(["a", "d", "f"]);
  });

  it("may start right after an entry: 'a#b c' is just a", () => {
    expect(parse("a#b c").hosts.map((h) => h.spec)).toEqual(["a"]);
  });

  it("distcc's host name runs on past the '#' (the lock is cpu_tcp_a#b_3632_0)", () => {
    const list = parse("a#b c");
    expect(list.hosts[0]).toMatchObject({ spec: "a", host: "a#b" });
    expect(codes(list)).toContain("DISTCC_WARN_READS_PAST_ENTRY");
  });

  it("so do the port, limit and options after it", () => {
    expect(parse("a#:3700/3,lzo").hosts[0]).toMatchObject({
      spec: "a",
      host: "a#",
      port: 3700,
      limit: 3,
      compression: "lzo",
    });
    expect(() => parse("a#,cpp b")).toThrow(HostSpecError);
    expect(() => parse("a#/0")).toThrow(/bad job limit/);
  });
});

describe("localhost", () => {
  it("bare localhost is local with limit 2", () => {
    expect(parse("localhost").hosts).toEqual([{ kind: "local", spec: "localhost", limit: 2 }]);
  });

  it("localhost/N sets the limit; anything after the number is ignored", () => {
    expect(parse("localhost/3").hosts[0]).toEqual({ kind: "local", spec: "localhost/3", limit: 3 });
    const list = parse("localhost/3,lzo");
    expect(list.hosts[0]).toEqual({ kind: "local", spec: "localhost/3,lzo", limit: 3 });
    expect(codes(list)).toContain("DISTCC_WARN_IGNORED_TEXT");
  });

  it("localhost:3632 and localhost,lzo are TCP hosts named localhost", () => {
    expect(parse("localhost:3632").hosts[0]).toMatchObject({ ...tcp, host: "localhost" });
    expect(parse("localhost,lzo").hosts[0]).toMatchObject({
      kind: "tcp",
      host: "localhost",
      compression: "lzo",
      protocol: 2,
    });
  });

  it("localhost=3 is a TCP host named localhost=3", () => {
    const list = parse("localhost=3");
    expect(list.hosts[0]).toMatchObject({ ...tcp, host: "localhost=3" });
    expect(codes(list)).toContain("DISTCC_WARN_EQUALS_IN_NAME");
  });

  it("localhost/0 and localhost/ are refused", () => {
    expect(() => parse("localhost/0")).toThrow(HostSpecError);
    expect(() => parse("localhost/")).toThrow(HostSpecError);
  });
});

describe("TCP hosts", () => {
  it("defaults: port 3632, limit 4, protocol 1", () => {
    expect(parse("127.0.0.1").hosts[0]).toMatchObject({ ...tcp, host: "127.0.0.1", spec: "127.0.0.1" });
  });

  it.each([
    ["h/8", 8, 3632],
    ["h:3700", 4, 3700],
    ["h:3700/8", 8, 3700],
    ["h/8:3700", 8, 3700],
    ["h/2:3700/5", 5, 3700],
    ["h/4/5/6", 5, 3632],
  ])("%s has limit %i and port %i", (text, limit, port) => {
    expect(parse(text).hosts[0]).toMatchObject({ kind: "tcp", host: "h", limit, port });
  });

  it("'=N' is not a limit after a host name ('=' does not end it) but is after ']'", () => {
    expect(parse("host=5").hosts[0]).toMatchObject({ host: "host=5", limit: 4 });
    expect(parse("[::1]=5").hosts[0]).toMatchObject({ host: "::1", limit: 5 });
  });

  it("limits are read with atoi: sign, leading spaces, wrap to int", () => {
    expect(parse("h/+3").hosts[0]).toMatchObject({ limit: 3 });
    expect(parse("h/-3").hosts[0]).toMatchObject({ limit: -3 });
    expect(totalJobs(parse("h/-3"))).toBe(-3);
    expect(parse("h/99999999999").hosts[0]).toMatchObject({ limit: 1215752191 });
    expect(codes(parse("h/99999999999"))).toEqual(["DISTCC_WARN_LIMIT"]);
    expect(parse("h/999999999999999999999").hosts[0]).toMatchObject({ limit: -1 });
    // LONG_MIN cast to int is 0: refused, as by the real distcc.
    expect(() => parse("h/-999999999999999999999")).toThrow(/bad job limit/);
    expect(parse("h/007").hosts[0]).toMatchObject({ limit: 7 });
    expect(parse("h/3x").hosts[0]).toMatchObject({ limit: 3 });
  });

  it("'h/ 5' takes the limit 5 from the next entry, which is also a host", () => {
    const list = parse("h/ 5");
    expect(list.hosts.map((h) => [h.spec, h.limit])).toEqual([
      ["h/", 5],
      ["5", 4],
    ]);
    expect(codes(list)).toContain("DISTCC_WARN_READS_PAST_ENTRY");
  });

  it("a signed limit stops the scan: in 'h/+3:3700' the port is never read", () => {
    const list = parse("h/+3:3700");
    expect(list.hosts[0]).toMatchObject({ limit: 3, port: 3632 });
    expect(codes(list)).toEqual(["DISTCC_WARN_LIMIT"]);
    expect(list.warnings[0]?.message).toMatch(/ignores ':3700'/);
    expect(codes(parse("h/-1"))).toEqual(["DISTCC_WARN_LIMIT"]);
  });

  it("text after an entry's last field is ignored, with a warning", () => {
    for (const text of ["h/4/5/6", "[::1]x", "h:3700/2junk"]) {
      expect(codes(parse(text)), text).toEqual(["DISTCC_WARN_IGNORED_TEXT"]);
    }
    expect(codes(parse("h:3700/2,lzo u@h/3:cmd,down localhost/5 [::1]:9/2,lzo,cpp"))).toEqual([]);
  });

  it("host/0 and host/abc are refused (bad multiplier)", () => {
    expect(() => parse("host/0")).toThrow(/bad job limit/);
    expect(() => parse("host/abc")).toThrow(/bad job limit/);
  });

  it("ports: decimal, 'host:' is port 0, no range check, strtol quirks", () => {
    expect(parse("host:").hosts[0]).toMatchObject({ port: 0 });
    expect(codes(parse("host:"))).toContain("DISTCC_WARN_PORT");
    expect(parse("host:99999").hosts[0]).toMatchObject({ port: 99999 });
    expect(parse("host:-5").hosts[0]).toMatchObject({ port: -5 });
    expect(() => parse("host:0x10")).toThrow(/bad port/);
    expect(parse("host:/3").hosts[0]).toMatchObject({ port: 0, limit: 3 });
    const spaced = parse("h: 3700");
    expect(spaced.hosts.map((h) => h.spec)).toEqual(["h:", "3700"]);
    expect(spaced.hosts[0]).toMatchObject({ port: 3700 });
  });

  it("a port must be followed by the end, whitespace, '/' or ','", () => {
    expect(() => parse("host:abc")).toThrow(HostSpecError);
    expect(() => parse("host:12x")).toThrow(HostSpecError);
    expect(() => parse("host:3700=5")).toThrow(HostSpecError);
    expect(parse("host:12\vx").hosts[0]).toMatchObject({ port: 12, spec: "host:12\vx" });
  });

  it("IPv6 needs brackets", () => {
    expect(parse("[::1]").hosts[0]).toMatchObject({ ...tcp, host: "::1", spec: "[::1]" });
    expect(parse("[::1]:3700/3,lzo").hosts[0]).toMatchObject({ host: "::1", port: 3700, limit: 3, protocol: 2 });
    expect(parse("[fe80::1%eth0]/2").hosts[0]).toMatchObject({ host: "fe80::1%eth0", limit: 2 });
    expect(() => parse("[::1")).toThrow(/unclosed IPv6/);
    expect(() => parse("[a/3]")).toThrow(/unclosed IPv6/);
    expect(() => parse("::1")).toThrow(/missing host name/);
    expect(() => parse("[]")).toThrow(/missing host name/);
  });

  it("an entry must start with a host name", () => {
    for (const text of ["/3", ":3700", ",lzo"]) expect(() => parse(text)).toThrow(/missing host name/);
  });
});

describe("options", () => {
  it.each([
    ["h,lzo", { compression: "lzo", protocol: 2, cpp: false, options: ["lzo"] }],
    ["h,cpp,lzo", { compression: "lzo", protocol: 3, cpp: true, options: ["cpp", "lzo"] }],
    ["h,lzo,cpp", { compression: "lzo", protocol: 3, cpp: true, options: ["lzo", "cpp"] }],
    ["h,down", { down: true, protocol: 1, options: ["down"] }],
    ["h,auth", { auth: true, options: ["auth"] }],
    ["h,auth=princ", { auth: "princ", options: ["auth=princ"] }],
    ["h,auth=", { auth: true, options: ["auth"] }],
    ["h,auth=p/x", { auth: "p", options: ["auth=p"] }],
    ["h,lzofoo", { compression: "lzo", options: ["lzo"] }],
    ["h,downtown", { down: true }],
  ])("%s", (text, fields) => {
    expect(parse(text).hosts[0]).toMatchObject({ kind: "tcp", host: "h", ...fields });
  });

  it("matches by prefix and ignores the rest, with a warning", () => {
    expect(codes(parse("h,lzofoo"))).toContain("DISTCC_WARN_IGNORED_TEXT");
  });

  it("refuses unknown options, an empty option, and cpp without lzo", () => {
    expect(() => parse("h,bogus")).toThrow(/unknown option ',bogus'/);
    expect(() => parse("h,")).toThrow(/unknown option/);
    expect(() => parse("h,lzo,,cpp")).toThrow(/unknown option/);
    expect(() => parse("h,auth=x,bogus")).toThrow(/unknown option/);
    expect(() => parse("h,cpp")).toThrow(/pump mode without compression/);
    expect(() => parse("h,zstd")).toThrow(/unknown option/);
  });

  it("lz4 is our extension: accepted by default with a warning, refused like distcc on request", () => {
    const list = parse("h,lz4,cpp");
    expect(list.hosts[0]).toMatchObject({ compression: "lz4", cpp: true, protocol: 3, options: ["lz4", "cpp"] });
    expect(codes(list)).toContain("DISTCC_WARN_EXTENSION");
    expect(() => parseHostList("h,lz4", { extensions: false })).toThrow(/unknown option ',lz4'/);
  });
});

describe("SSH hosts", () => {
  it("[USER]@HOST[/N][:COMMAND][,OPTIONS]", () => {
    expect(parse("user@buildhost/6:/opt/bin/distccd,lzo").hosts[0]).toEqual({
      kind: "ssh",
      spec: "user@buildhost/6:/opt/bin/distccd,lzo",
      user: "user",
      host: "buildhost",
      command: "/opt/bin/distccd",
      limit: 6,
      protocol: 2,
      compression: "lzo",
      cpp: false,
      down: false,
      options: ["lzo"],
    });
  });

  it("an empty user means no -l; the host runs to the first separator", () => {
    const host = parse("@box").hosts[0];
    expect(host).toMatchObject({ kind: "ssh", host: "box", limit: 4, protocol: 1 });
    expect(host).not.toHaveProperty("user");
    expect(parse("a@b@c").hosts[0]).toMatchObject({ user: "a", host: "b@c" });
  });

  it("the command runs to whitespace or ',' and may hold ':' '/' '#'", () => {
    expect(parse("@h:/a:b/c#d,lzo").hosts[0]).toMatchObject({
      command: "/a:b/c#d",
      compression: "lzo",
      spec: "@h:/a:b/c",
    });
    expect(parse("@h:,lzo").hosts[0]).not.toHaveProperty("command");
  });

  it("needs a host name", () => {
    expect(() => parse("a@")).toThrow(/missing host name/);
    expect(() => parse("@/3")).toThrow(/missing host name/);
  });

  it("has no port: 'u@h:3700' runs the command 3700", () => {
    expect(parse("u@h:3700").hosts[0]).toMatchObject({ kind: "ssh", command: "3700" });
  });
});

describe("global settings", () => {
  it("--randomize shuffles by one draw per host (stable), and any --randomize* word counts", () => {
    const draws = [0.9, 0.1, 0.5];
    const list = parseHostList("--randomizeXYZ a b c", { random: () => draws.shift() ?? 0 });
    expect(list.randomize).toBe(true);
    expect(list.hosts.map((h) => h.spec)).toEqual(["b", "c", "a"]);
  });

  it("--localslots / --localslots_cpp with = or /", () => {
    expect(parse("--localslots=3 --localslots_cpp/5 a")).toMatchObject({ localSlots: 3, localSlotsCpp: 5 });
    const defaults = parse("a");
    expect(defaults).toMatchObject({ localSlots: 4, localSlotsCpp: 8, randomize: false, zeroconf: false });
  });

  it("--localslots=0 becomes a TCP host named --localslots=0 (and -j counts it)", () => {
    const list = parse("--localslots=0 a");
    expect(list.hosts.map((h) => h.spec)).toEqual(["--localslots=0", "a"]);
    expect(list.hosts[0]).toMatchObject({ kind: "tcp", host: "--localslots=0" });
    expect(list.localSlots).toBe(4);
    expect(totalJobs(list)).toBe(8);
    expect(codes(list)).toContain("DISTCC_WARN_LOCALSLOTS");
  });

  it("--localslots/0 is refused: the host --localslots gets limit 0", () => {
    expect(() => parse("--localslots/0 a")).toThrow(/bad job limit/);
  });

  it("--localslots_cpp=0 is swallowed; --localslots without a value is ignored", () => {
    const list = parse("--localslots_cpp=0 --localslots --localslotsfoo --localslots_cppx a");
    expect(list.hosts.map((h) => h.spec)).toEqual(["a"]);
    expect(list).toMatchObject({ localSlots: 4, localSlotsCpp: 8 });
    expect(codes(list).filter((c) => c === "DISTCC_WARN_LOCALSLOTS")).toHaveLength(4);
  });

  it("--localslots= 3 reads 3 from the next entry, which is also a host", () => {
    const list = parse("--localslots= 3");
    expect(list.localSlots).toBe(3);
    expect(list.hosts.map((h) => h.spec)).toEqual(["3"]);
  });

  it("+zeroconf exactly asks for mDNS hosts at its position; +zeroconf/2 is a TCP host", () => {
    const list = parse("a +zeroconf b");
    expect(list).toMatchObject({ zeroconf: true, zeroconfIndex: 1 });
    expect(list.hosts.map((h) => h.spec)).toEqual(["a", "b"]);
    expect(parse("+zeroconf/2").hosts[0]).toMatchObject({ kind: "tcp", host: "+zeroconf", limit: 2 });
  });

  it("a list of settings only has no hosts (distcc then compiles locally)", () => {
    for (const text of ["", "   ", "# only", "--randomize --localslots=2"]) {
      const list = parse(text);
      expect(list.hosts).toEqual([]);
      expect(codes(list)).toContain("DISTCC_WARN_NO_HOSTS");
      expect(totalJobs(list)).toBe(0);
    }
  });
});

describe("-j", () => {
  it("sums every host's limit, localhost and down hosts included, not --localslots", () => {
    expect(totalJobs(parse("a/2 b/3 localhost c,down --localslots=10"))).toBe(2 + 3 + 2 + 4);
  });

  it("adds in a C int", () => {
    expect(totalJobs(parse("a/2147483647 b/1"))).toBe(-2147483648);
  });
});
