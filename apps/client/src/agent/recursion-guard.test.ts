import { describe, expect, it } from "vitest";
import { checkRecursion } from "./recursion-guard.js";
import type { CompileInvocation } from "./job-context.js";

const explicit: CompileInvocation = {
  kind: "compile",
  compilerName: "gcc",
  args: ["-c", "x.c"],
  masquerade: false,
  path: "/usr/bin:/bin",
  pathWasCut: false,
};
const masquerade: CompileInvocation = { ...explicit, masquerade: true, path: "/usr/bin:/bin", pathWasCut: true };

describe("checkRecursion", () => {
  it("lets a build's own call distribute, and gives its children the next level", () => {
    expect(checkRecursion({}, explicit)).toEqual({ verdict: "free", childEnv: { _DISTCC_SAFEGUARD: "1" } });
  });

  it("runs a child of ours here, and a second level of it is a loop", () => {
    expect(checkRecursion({ _DISTCC_SAFEGUARD: "1" }, explicit).verdict).toBe("loop");
    expect(checkRecursion({ _DISTCC_SAFEGUARD: "1" }, masquerade).verdict).toBe("child");
    expect(checkRecursion({ _DISTCC_SAFEGUARD: "2" }, masquerade).verdict).toBe("loop");
  });

  it("hands the cut PATH to the children of a masquerade call, so they find the real compiler", () => {
    expect(checkRecursion({ _DISTCC_SAFEGUARD: "1" }, masquerade).childEnv).toEqual({
      _DISTCC_SAFEGUARD: "2",
      PATH: "/usr/bin:/bin",
    });
  });

  it("reads a value that is not a positive number as no level (distcc's atoi)", () => {
    expect(checkRecursion({ _DISTCC_SAFEGUARD: "junk" }, explicit).verdict).toBe("free");
  });
});
