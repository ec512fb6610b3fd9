import { describe, expect, it } from "vitest";
import { DistccConnectionError } from "@x/distcc-protocol";
import { describeHostFailure } from "./host-failure.js";

const sys = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe("describeHostFailure: the cause as far as the socket tells it", () => {
  it("tells DNS, refused, timeout and a reset at accept apart", () => {
    const connect = (cause?: NodeJS.ErrnoException, message = "cannot connect") =>
      describeHostFailure(
        new DistccConnectionError("DISTCC_ERR_CONNECT", message, cause ? { cause } : undefined),
        300_000,
      );
    expect(connect(sys("ENOTFOUND"))).toMatchObject({
      kind: "dns",
      reason: "the name does not resolve (DNS: ENOTFOUND)",
    });
    expect(connect(sys("EAI_AGAIN"))).toMatchObject({ kind: "dns" });
    expect(connect(sys("ECONNREFUSED"))).toMatchObject({
      kind: "refused",
      reason: "connection refused (no server on that port)",
    });
    expect(connect(undefined, "connecting to h:1 timed out after 4000 ms")).toMatchObject({ kind: "connect-timeout" });
    expect(connect(sys("ECONNRESET"))).toMatchObject({ kind: "reset-before-answer" });
    expect(connect(sys("EHOSTUNREACH"))).toMatchObject({ kind: "connect", reason: "cannot connect: EHOSTUNREACH" });
  });

  it("a reset before any answer is --allow, a close after the request is the compiler, unless the host served it before", () => {
    const reset = new DistccConnectionError("DISTCC_ERR_NO_ANSWER", "h reset the connection without an answer", {
      cause: sys("ECONNRESET"),
    });
    const closed = new DistccConnectionError("DISTCC_ERR_NO_ANSWER", "h closed the connection without an answer");
    expect(describeHostFailure(reset, 1000, { compiler: "gcc" }).reason).toBe(
      "reset the connection before any answer: this machine is not in its --allow list, or it is not a distcc server",
    );
    expect(describeHostFailure(closed, 1000, { compiler: "mygcc" }).reason).toBe(
      "closed the connection after the request without answering: on a distccd this means 'mygcc' is not whitelisted or not installed there",
    );
    for (const err of [reset, closed]) {
      const known = describeHostFailure(err, 1000, { compiler: "gcc", knownGood: true }).reason;
      expect(known).toMatch(/\(it served this compiler before: did the server stop or die\?\)$/);
      expect(known).not.toMatch(/allow|whitelist/);
    }
  });
});
