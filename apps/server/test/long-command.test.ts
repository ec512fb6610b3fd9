// A command line longer than bubblewrap takes (9,000 arguments in all: attacker report B2 note)
// still compiles in the sandbox: the compiler reads its arguments from a response file the server
// writes into the job folder, each word intact (spaces, quotes and backslashes included).
import { encodeRequest, type CompileRequest } from "@x/distcc-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, startTestServer, type TestServer } from "./helpers.js";
import { decodeResponse } from "./wire.js";

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer({ sandbox: "bwrap" });
});
afterAll(async () => srv?.stop());

// A string with every character the response file must escape, and an empty -D value.
const TRICKY = `a b'c\\d"e\tf`;
const SOURCE = "const char *tricky = TRICKY; int last = D9499; int empty[] = { 1 EMPTY };\n";

function request(compiler: string, words: number): CompileRequest {
  const defines: string[] = [];
  // Short words: gcc passes them all to cc1 in one environment variable (COLLECT_GCC_OPTIONS),
  // itself limited to 128 KiB.
  for (let i = 0; i < words; i++) defines.push(`-DD${i}`);
  return {
    version: 3,
    cwd: "/src",
    argv: [compiler, ...defines, `-DTRICKY=${JSON.stringify(TRICKY)}`, "-DEMPTY=", "-c", "x.c", "-o", "x.o"],
    files: [{ kind: "file", name: "/src/x.c", content: Buffer.from(SOURCE) }],
  };
}

describe("a command line past bubblewrap's 9,000 arguments", () => {
  it.each(["gcc", "clang"])("%s: 9,500 -D words compile in the sandbox, each word as it was sent", async (compiler) => {
    const r = decodeResponse((await exchange(srv.port, encodeRequest(request(compiler, 9500)))).bytes, 3);
    const stderr = Buffer.from(r.stderr).toString();
    expect(stderr).not.toContain("Exceeded maximum number of arguments");
    expect(r.status, stderr).toBe(0);
    expect(Buffer.from(r.object).includes(Buffer.from(`${TRICKY}\0`))).toBe(true);
  });
});
