// `pnpm bench`: runs every benchmark script in this folder in turn (or only those named on the
// command line, e.g. `pnpm bench protocol server`). Each script measures ours against real distcc
// in the same run and prints its own table; none of them is a test.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== "run.mjs")
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.mjs$/, "")))
  .sort();

let failed = 0;
for (const script of scripts) {
  console.log(`\n=== bench/${script} ===`);
  const result = spawnSync(process.execPath, [join(here, script)], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.log(`bench/${script} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed ? 1 : 0);
