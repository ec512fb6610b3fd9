// Our extension packets (docs/protocol-extensions.md): framing, bounds, schemas, and the client
// side of the trailer over real loopback sockets.
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  concatChunks,
  DistccConnectionError,
  DistccExtensionError,
  encodeExtensionPacket,
  encodeResponse,
  EXT_MAX_PAYLOAD,
  ExtensionPacketReader,
  parseExtensionPayload,
  queryCapabilities,
  requestExtensionSchema,
  sendCompileJob,
  sendCompileRequest,
  serverTrailerSchema,
  toWireIdentity,
  type CompileRequest,
  type CompileResponse,
} from "../src/index.js";
import { listenOnLoopback } from "./loopback-server.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const listen = async (onSocket: (socket: Socket) => void): Promise<number> =>
  (await listenOnLoopback(onSocket, cleanups)).port;

const identity = {
  path: "/usr/bin/arm-linux-gnueabihf-gcc-12",
  family: "gcc" as const,
  kind: "c" as const,
  version: "12.2.0",
  target: "arm-linux-gnueabihf",
  abi: {
    arch: "armv6",
    fpu: "vfp",
    floatAbi: "hard" as const,
    mode: "arm" as const,
    endian: "little" as const,
    pointerBits: 32 as const,
  },
};
const request: CompileRequest = {
  version: 2,
  argv: ["gcc", "-c", "x.c", "-o", "x.o"],
  source: new TextEncoder().encode("int x;\n"),
};
const ok: CompileResponse = {
  version: 2,
  status: 0,
  stderr: new Uint8Array(0),
  stdout: new Uint8Array(0),
  object: new TextEncoder().encode("OBJ"),
};
const trailer = { v: 1, server: "distcc-ts test", features: ["lz4", "identity", "caps"] };

describe("extension packets", () => {
  it("round-trip through the reader, split anywhere, and keep the bytes after the packet", () => {
    const packet = encodeExtensionPacket("XREQ", { v: 1, compression: "lz4", identity: toWireIdentity(identity) });
    const all = concatChunks([packet, new TextEncoder().encode("DIST00000002")]);
    for (let cut = 0; cut <= all.length; cut++) {
      const reader = new ExtensionPacketReader(["XREQ", "XCAP"]);
      let got = reader.push(all.subarray(0, cut));
      got = reader.push(all.subarray(cut)) ?? got;
      expect(got?.token).toBe("XREQ");
      const ext = parseExtensionPayload("XREQ", got!.payload, requestExtensionSchema);
      expect(ext.identity).toEqual(toWireIdentity(identity));
      expect(ext.identity).not.toHaveProperty("path");
      expect(new TextDecoder().decode(reader.rest())).toBe("DIST00000002");
    }
  });

  it("refuse malformed packets with a typed error, never anything else", () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(DistccExtensionError);
        return (err as DistccExtensionError).code;
      }
      return undefined;
    };
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(code(() => new ExtensionPacketReader(["XREQ"]).push(bytes("DIST00000002")))).toBe(
      "DISTCC_ERR_EXT_BAD_HEADER",
    );
    expect(code(() => new ExtensionPacketReader(["XREQ"]).push(bytes("XREQ0000zz00")))).toBe(
      "DISTCC_ERR_EXT_BAD_HEADER",
    );
    expect(
      code(() =>
        new ExtensionPacketReader(["XREQ"]).push(bytes(`XREQ${(EXT_MAX_PAYLOAD + 1).toString(16).padStart(8, "0")}`)),
      ),
    ).toBe("DISTCC_ERR_EXT_TOO_BIG");
    expect(code(() => new ExtensionPacketReader(["XREQ"]).finish())).toBe("DISTCC_ERR_EXT_TRUNCATED");
    expect(code(() => parseExtensionPayload("XREQ", bytes("{not json"), requestExtensionSchema))).toBe(
      "DISTCC_ERR_EXT_BAD_PAYLOAD",
    );
    expect(code(() => parseExtensionPayload("XREQ", new Uint8Array([0xff, 0xfe]), requestExtensionSchema))).toBe(
      "DISTCC_ERR_EXT_BAD_PAYLOAD",
    );
    expect(
      code(() => parseExtensionPayload("XREQ", bytes('{"v":1,"compression":"zstd"}'), requestExtensionSchema)),
    ).toBe("DISTCC_ERR_EXT_BAD_PAYLOAD");
    const long = { v: 1, compression: "lz4", identity: { ...toWireIdentity(identity), target: "x".repeat(1000) } };
    expect(code(() => parseExtensionPayload("XREQ", bytes(JSON.stringify(long)), requestExtensionSchema))).toBe(
      "DISTCC_ERR_EXT_BAD_PAYLOAD",
    );
  });
});

describe("sendCompileJob reads the trailer", () => {
  it("from a server that appends XSRV: 'ours', and the XREQ arrived first with LZ4 bodies", async () => {
    let first = "";
    const port = await listen((socket) => {
      socket.once("data", (chunk: Buffer) => {
        first = chunk.subarray(0, 4).toString("latin1");
        socket.write(
          concatChunks([...encodeResponse(ok, { compression: "lz4" }), encodeExtensionPacket("XSRV", trailer)]),
        );
      });
    });
    const ex = await sendCompileJob({ host: "127.0.0.1", port }, request, {
      extension: { v: 1, compression: "lz4" },
      readTrailer: true,
    });
    expect(first).toBe("XREQ");
    expect(ex.server).toBe("ours");
    expect(ex.trailer).toEqual(trailer);
    expect(new TextDecoder().decode(ex.response.object)).toBe("OBJ");
  });

  it("from a server that answers and closes (as distccd): 'distccd'; sendCompileRequest ignores a trailer", async () => {
    const port = await listen((socket) => socket.once("data", () => socket.end(concatChunks(encodeResponse(ok)))));
    const ex = await sendCompileJob({ host: "127.0.0.1", port }, request, { readTrailer: true });
    expect(ex.server).toBe("distccd");
    const port2 = await listen((socket) =>
      socket.once("data", () =>
        socket.end(concatChunks([...encodeResponse(ok), encodeExtensionPacket("XSRV", trailer)])),
      ),
    );
    expect((await sendCompileRequest({ host: "127.0.0.1", port: port2 }, request)).status).toBe(0);
  });

  it("a malformed trailer leaves the job intact and says why", async () => {
    const bad = new TextEncoder().encode('XSRV0000000c{"v":"one"}  ');
    const port = await listen((socket) =>
      socket.once("data", () => socket.end(concatChunks([...encodeResponse(ok), bad]))),
    );
    const ex = await sendCompileJob({ host: "127.0.0.1", port }, request, { readTrailer: true });
    expect(ex.server).toBe("unknown");
    expect(ex.response.status).toBe(0);
    expect(ex.trailerError?.code).toBe("DISTCC_ERR_EXT_BAD_PAYLOAD");
    expect(() => parseExtensionPayload("XSRV", new TextEncoder().encode('{"v":1}'), serverTrailerSchema)).toThrow(
      DistccExtensionError,
    );
  });
});

describe("queryCapabilities", () => {
  it("a peer that closes on XCAP (as distccd does on a bad token) is DISTCC_ERR_NO_ANSWER", async () => {
    const port = await listen((socket) => socket.once("data", () => socket.destroy()));
    const err = await queryCapabilities({ host: "127.0.0.1", port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DistccConnectionError);
    expect((err as DistccConnectionError).code).toBe("DISTCC_ERR_NO_ANSWER");
  });

  it("a malformed answer is a DistccExtensionError", async () => {
    const port = await listen((socket) =>
      socket.once("data", () => socket.end(encodeExtensionPacket("XCAP", { v: 1, toolchains: "all" }))),
    );
    const err = await queryCapabilities({ host: "127.0.0.1", port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DistccExtensionError);
  });
});
