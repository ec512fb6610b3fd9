// A command ending in `-xLANG` (`gcc hello.c -c -xc`, legal for gcc: a -x after the last input has
// no effect) is compiled remotely. The client used to append `-o hello.o` after the `-xc`, and the
// server's distcc scan (ours and distccd's) then read "-o" as -x's language and dropped the job.
import { execFile } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { sendCompileRequest } from "@x/distcc-protocol";
import { preprocessorArgv, scanArgs, serverArgv } from "@x/distcc-toolchain";
import { makeTempDir, startDistccd, type DistccdHandle } from "@x/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.js";

const execFileP = promisify(execFile);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

let dir: { path: string; remove(): void };
let ours: TestServer;
let distccd: DistccdHandle;

beforeAll(async () => {
  dir = makeTempDir("trailing-x-");
  chmodSync(dir.path, 0o755);
  writeFileSync(join(dir.path, "hello.c"), "int answer(void) { return 42; }\n");
  ours = await startTestServer();
  distccd = await startDistccd();
});
afterAll(async () => {
  await ours?.stop();
  await distccd?.stop();
  dir?.remove();
});

describe("a command ending in -xLANG", () => {
  it("gcc hello.c -c -xc: what the client sends compiles on our server and on distccd (protocols 1 and 2)", async () => {
    const scan = scanArgs(["gcc", "hello.c", "-c", "-xc"], { cwd: dir.path, env: {} });
    if (!scan.distributable) throw new Error(`run locally: ${JSON.stringify(scan.reason)}`);
    const [cpp, ...cppArgs] = preprocessorArgv(scan);
    const source = Buffer.from((await execFileP(cpp!, cppArgs, { cwd: dir.path })).stdout);
    for (const [name, port] of [
      ["ours", ours.port],
      ["distccd", distccd.port],
    ] as const) {
      for (const version of [1, 2] as const) {
        const argv = serverArgv(scan, version);
        const r = await sendCompileRequest(
          { host: "127.0.0.1", port },
          { version, argv, source },
          { connectTimeoutMs: 5000, ioTimeoutMs: 60_000 },
        );
        expect(r.status, `${name}, protocol ${version}, ${argv.join(" ")}: ${Buffer.from(r.stderr)}`).toBe(0);
        expect(Buffer.from(r.object).subarray(0, 4)).toEqual(ELF_MAGIC);
      }
    }
  });
});
