import { describe, expect, it } from "vitest";
import {
  AgentFrameDecoder,
  encodeFrame,
  encodeLaunchRequest,
  encodeLauncherReply,
  LaunchProtocolError,
  LaunchRequestDecoder,
  LauncherReplyDecoder,
  type AgentFrame,
} from "./launch-frames.js";

const request = {
  self: "/x/distcc-client",
  cwd: "/w d",
  argv: ["gcc", "-c", "é.c", ""],
  env: { PATH: "/usr/bin", EMPTY: "", "A=B": "ignored?" },
};

describe("launcher <-> agent framing", () => {
  it("decodes a launch request split at every offset", () => {
    const bytes = encodeLaunchRequest({ ...request, env: { PATH: "/usr/bin", EMPTY: "", X: "a=b" } });
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new LaunchRequestDecoder();
      const first = d.push(bytes.subarray(0, cut));
      const got = first ?? d.push(bytes.subarray(cut));
      expect(got).toEqual({ ...request, env: { PATH: "/usr/bin", EMPTY: "", X: "a=b" } });
    }
  });

  it("rejects what is not a launcher, and oversized or trailing data", () => {
    expect(() => new LaunchRequestDecoder().push(Buffer.from("GET / HTTP/1.1\r\n"))).toThrow(LaunchProtocolError);
    const huge = Buffer.alloc(8);
    huge.write("DCL1");
    huge.writeUInt32BE(0xffffffff, 4);
    expect(() => new LaunchRequestDecoder().push(huge)).toThrow(/too large/);
    const ok = encodeLaunchRequest({ self: "", cwd: "/", argv: ["gcc"], env: {} });
    const d = new LaunchRequestDecoder();
    expect(d.push(Buffer.concat([ok, Buffer.from("x")]))).toBeDefined();
    expect(d.rest.toString()).toBe("x");
  });

  it("decodes the launcher's preprocessor status replies at every split", () => {
    const bytes = Buffer.concat([
      encodeLauncherReply({ type: "cpp-status", code: 0 }),
      encodeLauncherReply({ type: "cpp-status", code: 137, cpuMs: 12.345 }),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new LauncherReplyDecoder();
      expect([...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))]).toEqual([
        { type: "cpp-status", code: 0 },
        { type: "cpp-status", code: 137, cpuMs: 12.345 },
      ]);
    }
    expect(() => new LauncherReplyDecoder().push(Buffer.from("z\0\0\0\x011"))).toThrow(LaunchProtocolError);
    // What the native launcher writes: "CODE CPU_US".
    expect(new LauncherReplyDecoder().push(Buffer.from("c\0\0\0\x061 2500"))).toEqual([
      { type: "cpp-status", code: 1, cpuMs: 2.5 },
    ]);
    for (const bad of ["1 -5", "1 x", "1 2 3", "x 2"]) {
      const frame = Buffer.concat([Buffer.from([0x63, 0, 0, 0, bad.length]), Buffer.from(bad)]);
      expect(() => new LauncherReplyDecoder().push(frame), bad).toThrow(LaunchProtocolError);
    }
  });

  it("round-trips agent frames at every split", () => {
    const frames: AgentFrame[] = [
      { type: "stdout", data: Buffer.from("out") },
      { type: "stderr", data: Buffer.alloc(0) },
      {
        type: "run",
        run: { path: "/usr/bin/gcc", argv: ["gcc", "-c", "x.c"], setEnv: { _DISTCC_SAFEGUARD: "1", PATH: "/a:/b" } },
      },
      {
        type: "preprocess",
        run: { path: "/usr/bin/gcc", argv: ["gcc", "-E", "x.c"], setEnv: {}, outFile: "/t/1.i", errFile: "/t/1.err" },
      },
      { type: "exit", code: 137 },
    ];
    const bytes = Buffer.concat(frames.flatMap((f) => encodeFrame(f)));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new AgentFrameDecoder();
      const got = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      expect(got).toEqual(frames);
    }
  });
});
