import { describe, expect, it } from "vitest";
import { agentPaths, fnv1a64Hex } from "./agent-paths.js";

describe("agentPaths", () => {
  it("DISTCC_DIR, else ~/.distcc: the user's own choice, not checked as a fallback", () => {
    expect(agentPaths({ DISTCC_DIR: "/srv/d", HOME: "/home/a" }, 1000)).toMatchObject({
      stateDir: "/srv/d",
      privateDirs: [],
      agentDir: "/srv/d/agent",
      socketPath: "/srv/d/agent/agent-1.sock",
    });
    expect(agentPaths({ HOME: "/home/a" }, 1000)).toMatchObject({ stateDir: "/home/a/.distcc", privateDirs: [] });
  });

  it("HOME unset: a per-user directory (never the shared /tmp/.distcc), to be verified as private", () => {
    expect(agentPaths({}, 1000)).toMatchObject({
      stateDir: "/tmp/distcc-1000",
      privateDirs: ["/tmp/distcc-1000"],
      socketPath: "/tmp/distcc-1000/agent/agent-1.sock",
    });
    expect(agentPaths({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000)).toMatchObject({
      stateDir: "/run/user/1000/distcc",
      privateDirs: ["/run/user/1000/distcc"],
    });
    // A relative XDG_RUNTIME_DIR is not a place (the spec says to ignore it).
    expect(agentPaths({ XDG_RUNTIME_DIR: "run" }, 1000).stateDir).toBe("/tmp/distcc-1000");
  });

  it("a socket path of 100 bytes or more moves to its own directory in $XDG_RUNTIME_DIR/distcc-agent, else /tmp/distcc-agent-<uid>", () => {
    const deep = `/home/a/${"d".repeat(80)}`;
    const hash = fnv1a64Hex(deep);
    expect(agentPaths({ DISTCC_DIR: deep }, 1000)).toMatchObject({
      stateDir: deep,
      privateDirs: ["/tmp/distcc-agent-1000"],
      agentDir: `/tmp/distcc-agent-1000/${hash}`,
      socketPath: `/tmp/distcc-agent-1000/${hash}/agent-1.sock`,
    });
    expect(agentPaths({ DISTCC_DIR: deep, XDG_RUNTIME_DIR: "/run/user/1000" }, 1000)).toMatchObject({
      privateDirs: ["/run/user/1000/distcc-agent"],
      socketPath: `/run/user/1000/distcc-agent/${hash}/agent-1.sock`,
    });
    const longRuntime = `/run/${"r".repeat(60)}`;
    expect(agentPaths({ DISTCC_DIR: deep, XDG_RUNTIME_DIR: longRuntime }, 1000).privateDirs).toEqual([
      "/tmp/distcc-agent-1000",
    ]);
    // Two deep state directories never share an agent directory (pid file, log, preprocessor outputs).
    expect(agentPaths({ DISTCC_DIR: `${deep}2` }, 1000).agentDir).not.toBe(
      agentPaths({ DISTCC_DIR: deep }, 1000).agentDir,
    );
    // 99 bytes still fits where it is.
    const edge = `/${"e".repeat(99 - "/agent/agent-1.sock".length - 1)}`;
    expect(Buffer.byteLength(`${edge}/agent/agent-1.sock`)).toBe(99);
    expect(agentPaths({ DISTCC_DIR: edge }, 1000).agentDir).toBe(`${edge}/agent`);
  });
});
