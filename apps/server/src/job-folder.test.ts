import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "@x/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { JobFolders } from "./job-folder.js";

const temp = makeTempDir("job-folder-");
afterAll(() => temp.remove());

/** A pump-like tree: `dirs` folders of `files` files each. */
function fill(root: string, dirs: number, files: number): void {
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, "usr", `d${d}`, "sub");
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) writeFileSync(join(dir, `h${f}.h`), "");
  }
}

/** Turns of the event loop while `work` runs (0: it blocked the loop from start to end). */
async function turnsDuring(work: () => Promise<void>): Promise<number> {
  let turns = 0;
  let done = false;
  const tick = (): void => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  done = true;
  return turns;
}

describe.each([
  ["on a memory filesystem", true],
  ["on a disk", false],
])("removing a job folder %s", (_name, inMemory) => {
  it("a big pump tree (1,900 entries) is removed without holding the event loop for all of it", async () => {
    const folders = new JobFolders(temp.path, inMemory);
    const folder = await folders.create();
    fill(folder.path, 60, 30);
    const turns = await turnsDuring(() => folder.remove());
    expect(existsSync(folder.path)).toBe(false);
    // Chunks of 1024 entries: the loop turned between them (the old removal, all at once: 0 turns).
    expect(turns).toBeGreaterThanOrEqual(1);
  });

  it("a trivial job's folder is still removed at once", async () => {
    const folder = await new JobFolders(temp.path, inMemory).create();
    for (const f of ["stdout", "stderr", "input.i", "output.o"]) writeFileSync(join(folder.path, f), "x");
    await folder.remove();
    expect(existsSync(folder.path)).toBe(false);
  });
});
