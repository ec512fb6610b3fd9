// Every real distcc capture decodes to what its tokens.txt lists and re-encodes to the same bytes.
import { describe, expect, it } from "vitest";
import {
  concatChunks,
  DistccProtocolError,
  encodeRequest,
  encodeResponse,
  RequestDecoder,
  ResponseDecoder,
  type CompileRequest,
  type CompileResponse,
} from "../src/index.js";
import { decodeRequest, decodeResponse, versionOf } from "./decode-all.js";
import { captureNames, loadCapture, preview, type ListedToken } from "./vectors.js";

const utf8 = new TextEncoder();

interface Shape {
  token: string;
  param?: number;
  size?: number;
  preview?: string;
}

function str(token: string, s: string): Shape {
  const b = utf8.encode(s);
  return { token, size: b.length, preview: preview(b) };
}

function requestShape(r: CompileRequest): Shape[] {
  const out: Shape[] = [{ token: "DIST", param: r.version }];
  if (r.version === 3) out.push(str("CDIR", r.cwd!));
  out.push({ token: "ARGC", param: r.argv.length });
  for (const a of r.argv) out.push(str("ARGV", a));
  if (r.version === 3) {
    out.push({ token: "NFIL", param: r.files!.length });
    for (const f of r.files!) {
      out.push(str("NAME", f.name));
      out.push(f.kind === "link" ? str("LINK", f.target) : { token: "FILE", size: f.content.length });
    }
  } else {
    out.push({ token: "DOTI", size: r.source!.length });
  }
  return out;
}

function responseShape(r: CompileResponse): Shape[] {
  const out: Shape[] = [
    { token: "DONE", param: r.version },
    { token: "STAT", param: r.status },
    { token: "SERR", size: r.stderr.length, preview: preview(r.stderr) },
    { token: "SOUT", size: r.stdout.length, preview: preview(r.stdout) },
    { token: "DOTO", size: r.object.length },
  ];
  if (r.deps) out.push({ token: "DOTD", size: r.deps.length });
  return out;
}

function listedShape(tokens: ListedToken[]): Shape[] {
  return tokens.map((t) => {
    const s: Shape = { token: t.token };
    if (t.body === undefined) s.param = t.param;
    else s.size = t.plain ?? t.body;
    if (t.preview !== undefined) s.preview = t.preview;
    return s;
  });
}

/** Captures whose request is deliberately not a valid distcc request, and the error we must give. */
const badRequests: Record<string, string> = {
  "hc-bad-magic": "DISTCC_ERR_BAD_TOKEN",
  "hc-version-4": "DISTCC_ERR_BAD_VERSION",
  "p2-cpp-fails": "DISTCC_ERR_TRUNCATED",
  "include-server-hello-c": "DISTCC_ERR_BAD_TOKEN",
};
/** Valid requests whose bytes we do not reproduce, and why. */
const notReproduced: Record<string, string> = {
  "hc-uppercase-hex": "upper-case hex parameters; we write lower case",
  "hc-p2-lzo1x-999": "DOTI compressed with lzo1x_999, we compress with lzo1x_1",
  "hc-p2-literal-only-lzo": "DOTI is a literal-only LZO stream, we compress with lzo1x_1",
};

function errorCode(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DistccProtocolError);
    return (err as DistccProtocolError).code;
  }
  return undefined;
}

describe("captures from real distcc 3.4", () => {
  const names = captureNames();
  it("has the vectors", () => {
    expect(names.length).toBeGreaterThan(40);
  });

  for (const name of names) {
    describe(name, () => {
      const cap = loadCapture(name);
      if (badRequests[name]) {
        it(`request is refused with ${badRequests[name]}`, () => {
          const d = new RequestDecoder();
          expect(
            errorCode(() => {
              d.push(cap.c2s);
              d.finish();
            }),
          ).toBe(badRequests[name]);
        });
      } else {
        it("request decodes to the listed tokens", () => {
          const { request } = decodeRequest(cap.c2s);
          expect(requestShape(request)).toEqual(listedShape(cap.c2sTokens));
        });
        if (!notReproduced[name]) {
          it("request re-encodes to the same bytes", () => {
            const { request } = decodeRequest(cap.c2s);
            expect(Buffer.from(concatChunks(encodeRequest(request))).equals(Buffer.from(cap.c2s))).toBe(true);
          });
        }
      }
      if (cap.s2c.length === 0) {
        it("no answer: an empty response is truncated", () => {
          const d = new ResponseDecoder(1);
          expect(errorCode(() => d.finish())).toBe("DISTCC_ERR_TRUNCATED");
        });
      } else if (name === "include-server-hello-c") {
        it("the include server's answer is not a compile response", () => {
          const d = new ResponseDecoder(3);
          expect(errorCode(() => d.push(cap.s2c))).toBe("DISTCC_ERR_BAD_TOKEN");
        });
      } else {
        it("response decodes to the listed tokens", () => {
          const { response } = decodeResponse(cap.s2c, versionOf(cap.s2c));
          expect(responseShape(response)).toEqual(listedShape(cap.s2cTokens));
        });
        it("response re-encodes to the same bytes", () => {
          const { response } = decodeResponse(cap.s2c, versionOf(cap.s2c));
          expect(Buffer.from(concatChunks(encodeResponse(response))).equals(Buffer.from(cap.s2c))).toBe(true);
        });
      }
    });
  }
});
