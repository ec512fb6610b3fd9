import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { startDistccd, vectorPath } from "../src/index.js";

describe("startDistccd", () => {
  it("starts a real distccd that accepts a connection and answers nothing to the captured bad-magic request", async () => {
    const d = await startDistccd();
    try {
      const received = await new Promise<Buffer>((resolve) => {
        const socket = connect({ port: d.port, host: "127.0.0.1" });
        const chunks: Buffer[] = [];
        socket.on("data", (c) => chunks.push(c));
        socket.on("error", () => resolve(Buffer.concat(chunks)));
        socket.on("close", () => resolve(Buffer.concat(chunks)));
        // The captured hand-made request whose first token is "dist" (lower case).
        socket.write(readFileSync(vectorPath("captures", "hc-bad-magic.c2s.bin")));
      });
      // spec 5.1: a wrong first token gets no answer at all.
      expect(received.length).toBe(0);
    } finally {
      await d.stop();
    }
  });
});
