import { describe, expect, it } from "vitest";
import { agentPaths, fnv1a64Hex } from "./agent-paths.js";

describe("agentPaths", () => {
  it("DISTCC_DIR, else ~/.distcc: the user's own choice, not checked as a fallback", () => {
    expect(agentPaths({ DISTCC_DIR: "/srv/d", HOME: "/home/a" }, 1000)).toMatchObject({
      stateDir: "/srv/d",
      privateStateDir: false,
      agentDir: "/srv/d/agent",
      socketPath: "/srv/d/agent/agent-1.sock",
    });
    expect(agentPaths({ HOME: "/home/a" }, 1000)).toMatchObject({ stateDir: "/home/a/.distcc", privateStateDir: false });
  });

  it("HOME unset: a per-user directory (never the shared /tmp/.distcc), to be verified as private", () => {
    expect(agentPaths({}, 1000)).toMatchObject({
      stateDir: "/tmp/distcc-1000",
      privateStateDir: true,
      socketPath: "/tmp/distcc-1000/agent/agent-1.sock",
    });
    expect(agentPaths({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000)).toMatchObject({
      stateDir: "/run/user/1000/distcc",
      privateStateDir: true,
    });
    // A relative XDG_RUNTIME_DIR is not a place (the spec says to ignore it).
    expect(agentPaths({ XDG_RUNTIME_DIR: "run" }, 1000).stateDir).toBe("/tmp/distcc-1000");
  });

  it("a socket path of 100 bytes or more moves to $XDG_RUNTIME_DIR/distcc-agent, else /tmp/distcc-agent-<uid>", () => {
    const deep = `/home/a/${"d".repeat(80)}`;
    const name = `${fnv1a64Hex(deep)}.sock`;
    expect(agentPaths({ DISTCC_DIR: deep }, 1000)).toMatchObject({
      agentDir: "/tmp/distcc-agent-1000",
      socketPath: `/tmp/distcc-agent-1000/${name}`,
    });
    expect(agentPaths({ DISTCC_DIR: deep, XDG_RUNTIME_DIR: "/run/user/1000" }, 1000).socketPath).toBe(
      `/run/user/1000/distcc-agent/${name}`,
    );
    const longRuntime = `/run/${"r".repeat(80)}`;
    expect(agentPaths({ DISTCC_DIR: deep, XDG_RUNTIME_DIR: longRuntime }, 1000).agentDir).toBe("/tmp/distcc-agent-1000");
    // 99 bytes still fits where it is.
    const edge = `/${"e".repeat(99 - "/agent/agent-1.sock".length - 1)}`;
    expect(Buffer.byteLength(`${edge}/agent/agent-1.sock`)).toBe(99);
    expect(agentPaths({ DISTCC_DIR: edge }, 1000).agentDir).toBe(`${edge}/agent`);
  });
});
