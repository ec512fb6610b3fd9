import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { readCompileRequest, writeCompileResponse, exitedStatus } from "@x/distcc-protocol";
import { run } from "./helpers.js";
import { startDistccServer, type ServerHandle } from "./our-server.js";

export type { ServerHandle };

/** Client-side stand-in compilers live in directories put first on the CLIENT's PATH only. */
export function writeScript(dir: string, name: string, body: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A multi-file C program with float arguments (so the ARM float ABI matters) and a known output. */
const PROGRAM: Record<string, string> = {
  "util.h": "double scale(double x, float by);\nint count_words(const char *s);\n",
  "util.c": '#include "util.h"\ndouble scale(double x, float by) { return x * by + 0.25; }\n',
  "words.c":
    "#include \"util.h\"\nint count_words(const char *s) { int n = 0, in = 0; for (; *s; s++) { if (*s == ' ') in = 0; else if (!in) { in = 1; n++; } } return n; }\n",
  "main.c":
    '#include <stdio.h>\n#include "util.h"\nint main(void) { printf("scale=%.2f words=%d ptr=%d\\n", scale(2.5, 3.0f), count_words("mixed architectures just work"), (int)sizeof(void *)); return 0; }\n',
};
export const PROGRAM_UNITS = ["main", "util", "words"];

export function writeProgram(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(PROGRAM)) writeFileSync(join(dir, f), text);
}

/** `readelf -A` (ARM build attributes) without the file name. */
export async function armAttributes(object: string): Promise<string> {
  const r = await run("readelf", ["-A", object], { cwd: "/", env: process.env });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** `readelf -h` Machine line. */
export async function elfMachine(object: string): Promise<string> {
  const r = await run("readelf", ["-h", object], { cwd: "/", env: process.env });
  return /Machine:\s*(.+)/.exec(r.stdout)?.[1]?.trim() ?? "";
}

/** Our distcc-server (built) with its own environment (e.g. a DISTCCD_PATH) and identity cache. */
export function startOurServer(opts: { env?: Record<string, string>; cacheDir: string }): Promise<ServerHandle> {
  return startDistccServer(opts);
}

/**
 * A helper that lies: whatever compiler the request names, it compiles the source with its own
 * native gcc (the classic distcc failure) and answers success with that object.
 */
export async function startLyingServer(workDir: string): Promise<ServerHandle & { jobs(): number }> {
  mkdirSync(workDir, { recursive: true });
  let jobs = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    void (async () => {
      const req = await readCompileRequest(s);
      jobs++;
      const src = join(workDir, `job${jobs}.i`);
      const obj = join(workDir, `job${jobs}.o`);
      writeFileSync(src, req.source ?? new Uint8Array());
      const r = spawnSync("/usr/bin/gcc", ["-c", src, "-o", obj]);
      const object = r.status === 0 ? readFileSync(obj) : Buffer.alloc(0);
      rmSync(obj, { force: true });
      await writeCompileResponse(s, {
        version: req.version,
        status: exitedStatus(r.status ?? 1),
        stderr: r.stderr,
        stdout: new Uint8Array(),
        object,
      });
      s.end();
    })().catch(() => s.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    }),
  );
  return {
    port,
    host: `127.0.0.1:${port}`,
    log: () => "",
    jobs: () => jobs,
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
