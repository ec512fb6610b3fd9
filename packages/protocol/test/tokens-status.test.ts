import { describe, expect, it } from "vitest";
import {
  decodeHeader,
  DistccProtocolError,
  encodeHeader,
  exitedStatus,
  parseWaitStatus,
  signaledStatus,
  statusToExitCode,
  TOKEN_NAMES,
} from "../src/index.js";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DistccProtocolError);
    return (err as DistccProtocolError).code;
  }
  return "no error";
}

describe("token headers", () => {
  it("writes 4 letters and 8 lower-case hex digits", () => {
    expect(text(encodeHeader("DIST", 1))).toBe("DIST00000001");
    expect(text(encodeHeader("DOTI", 0x14e4))).toBe("DOTI000014e4");
    expect(text(encodeHeader("STAT", 0xffffffff))).toBe("STATffffffff");
    expect(() => encodeHeader("ARGC", -1)).toThrow(RangeError);
    expect(() => encodeHeader("ARGC", 2 ** 32)).toThrow(RangeError);
  });
  it("round-trips every token of the table", () => {
    for (const token of TOKEN_NAMES) {
      for (const value of [0, 1, 0xabcdef, 0xffffffff])
        expect(decodeHeader(encodeHeader(token, value))).toEqual({ token, value });
    }
  });
  it("reads hex of either case, as distccd's strtoul does", () => {
    expect(decodeHeader(ascii("ARGV0000000F")).value).toBe(15);
    expect(decodeHeader(ascii("ARGVaBcDeF01")).value).toBe(0xabcdef01);
  });
  it("rejects unknown or lower-case names and anything but 8 hex digits", () => {
    expect(code(() => decodeHeader(ascii("dist00000001")))).toBe("DISTCC_ERR_BAD_TOKEN");
    expect(code(() => decodeHeader(ascii("XXXX00000001")))).toBe("DISTCC_ERR_BAD_TOKEN");
    for (const bad of [" 0000001", "+0000001", "0x000001", "0000000g", "-0000001", "0000 001"]) {
      expect(code(() => decodeHeader(ascii(`DIST${bad}`)))).toBe("DISTCC_ERR_BAD_HEX");
    }
    expect(code(() => decodeHeader(ascii("DIST0000")))).toBe("DISTCC_ERR_TRUNCATED");
  });
});

describe("wait status", () => {
  it("matches the captures", () => {
    expect(exitedStatus(1)).toBe(0x100);
    expect(exitedStatus(107)).toBe(0x6b00);
    expect(signaledStatus(11)).toBe(0x0b);
    expect(signaledStatus(11, true)).toBe(0x8b);
  });
  it("parses and maps to the client's exit code", () => {
    expect(parseWaitStatus(0)).toEqual({ kind: "exited", code: 0 });
    expect(parseWaitStatus(0x6e00)).toEqual({ kind: "exited", code: 110 });
    expect(parseWaitStatus(0x8b)).toEqual({ kind: "signaled", signal: 11, core: true });
    expect(statusToExitCode(0x100)).toBe(1);
    expect(statusToExitCode(0x0b)).toBe(139);
    expect(statusToExitCode(0)).toBe(0);
  });
  it("round-trips all exits and signals", () => {
    for (let c = 0; c < 256; c++) expect(parseWaitStatus(exitedStatus(c))).toEqual({ kind: "exited", code: c });
    for (let s = 1; s < 127; s++) {
      for (const core of [false, true])
        expect(parseWaitStatus(signaledStatus(s, core))).toEqual({ kind: "signaled", signal: s, core });
    }
  });
});

describe("one-shot decoding", () => {
  it("decodeRequest / decodeResponse read whole messages and refuse partial ones", async () => {
    const { concatChunks, decodeRequest, decodeResponse, encodeRequest, encodeResponse } = await import(
      "../src/index.js"
    );
    const req = concatChunks(
      encodeRequest({ version: 2, argv: ["gcc", "-c", "a.c"], source: new TextEncoder().encode("int a;") }),
    );
    expect(decodeRequest(req).argv).toEqual(["gcc", "-c", "a.c"]);
    expect(code(() => decodeRequest(req.subarray(0, req.length - 1)))).toBe("DISTCC_ERR_TRUNCATED");
    const res = concatChunks(
      encodeResponse({
        version: 3,
        status: 0,
        stderr: new Uint8Array(0),
        stdout: new Uint8Array(0),
        object: new Uint8Array(5),
      }),
    );
    expect(decodeResponse(res, 3).deps?.length).toBe(0);
    expect(code(() => decodeResponse(res, 2))).toBe("DISTCC_ERR_BAD_VERSION");
  });
});

describe("trailing data", () => {
  it("is an error by default, dropped and counted with allowTrailingData", async () => {
    const { concatChunks, encodeRequest, RequestDecoder } = await import("../src/index.js");
    const req = concatChunks(encodeRequest({ version: 1, argv: ["gcc"], source: new Uint8Array(10) }));
    const withTail = new Uint8Array([...req, 1, 2, 3]);
    expect(code(() => new RequestDecoder().push(withTail))).toBe("DISTCC_ERR_TRAILING_DATA");
    const d = new RequestDecoder(undefined, { allowTrailingData: true });
    const events = d.push(withTail);
    expect(events.at(-1)?.type).toBe("end");
    expect(d.push(new Uint8Array(5))).toEqual([]);
    d.finish();
    expect(d.trailingBytes).toBe(8);
  });
});
