// Bench: LZO vs LZ4 bodies between our client side and our server, on a ~1 MB preprocessed file.
// Per codec: wire bytes each way (counted on the socket), wall time per job (median of N, the
// codecs interleaved), and the codec's own compress + decompress time of the input in this process.
// The job is a real `g++ -O0 -c` of the preprocessed file on our server (loopback).
// Run after `pnpm build`: node bench/extensions.mjs   (N=9 to change the rounds)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const protocol = await import(join(root, "packages/protocol/dist/index.js"));
const { startServer } = await import(join(root, "apps/server/dist/index.js"));
const N = Number(process.env.N ?? 9);

const work = mkdtempSync(join(tmpdir(), "bench-ext-"));
const src =
  "#include <iostream>\n#include <vector>\n#include <map>\n#include <string>\n#include <algorithm>\nint main(){ std::vector<int> v{3,1,2}; std::sort(v.begin(), v.end()); std::cout << v[0]; }\n";
const cpp = spawnSync("g++", ["-x", "c++", "-E", "-"], { input: src, maxBuffer: 64 << 20 });
if (cpp.status !== 0) throw new Error(cpp.stderr.toString());
const source = cpp.stdout;

const server = await startServer({ port: 0, listen: "127.0.0.1", tempDir: work, jobs: 2 });
const port = server.address.port;

async function job(compression) {
  const socket = new Socket();
  await new Promise((resolve, reject) => socket.connect(port, "127.0.0.1", resolve).once("error", reject));
  const t0 = performance.now();
  const ex = await protocol.sendCompileJob(
    socket,
    { version: 2, argv: ["g++", "-O0", "-c", "bench.ii", "-o", "bench.o"], source },
    { extension: { v: 1, compression }, readTrailer: true },
  );
  const ms = performance.now() - t0;
  if (ex.response.status !== 0) throw new Error(Buffer.from(ex.response.stderr).toString());
  return { ms, sent: socket.bytesWritten, received: socket.bytesRead, object: ex.response.object.length };
}

function codecMs(compression) {
  const t0 = performance.now();
  const packed = compression === "lz4" ? protocol.lz4Compress(source) : protocol.lzo1xCompress(source);
  const t1 = performance.now();
  if (compression === "lz4") protocol.lz4Decompress(packed, { maxOutput: source.length });
  else protocol.lzo1xDecompress(packed, { maxOutput: source.length });
  return { compress: t1 - t0, decompress: performance.now() - t1 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { lzo: [], lz4: [] };
const codec = { lzo: [], lz4: [] };
try {
  await job("lzo"); // warm up (compiler caches, JIT)
  for (let i = 0; i < N; i++) {
    for (const c of i % 2 ? ["lz4", "lzo"] : ["lzo", "lz4"]) {
      results[c].push(await job(c));
      codec[c].push(codecMs(c));
    }
  }
} finally {
  await server.close({ graceMs: 2000 });
  rmSync(work, { recursive: true, force: true });
}

console.log(
  `input: ${source.length} bytes of preprocessed C++ (g++ -E of iostream/vector/map/string/algorithm), ${N} jobs per codec, interleaved`,
);
console.log(
  "| codec | request bytes | response bytes | wall per job, ms (median) | compress / decompress of the input, ms (median) |",
);
console.log("|---|---|---|---|---|");
for (const c of ["lzo", "lz4"]) {
  const r = results[c];
  console.log(
    `| ${c} | ${r[0].sent} | ${r[0].received} | ${median(r.map((x) => x.ms)).toFixed(0)} | ${median(codec[c].map((x) => x.compress)).toFixed(1)} / ${median(codec[c].map((x) => x.decompress)).toFixed(1)} |`,
  );
}
