import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentPaths } from "../agent-paths.js";
import { prepareScratchDir, removeOwnScratchFiles } from "./scratch-dir.js";

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fresh(): { shm: string; paths: ReturnType<typeof agentPaths> } {
  const root = mkdtempSync(join(tmpdir(), "scratch-"));
  made.push(root);
  const shm = join(root, "shm");
  mkdirSync(shm);
  return { shm, paths: agentPaths({ DISTCC_DIR: join(root, "state") }) };
}
const memory = (): boolean => true;

describe("prepareScratchDir", () => {
  it("makes a private directory on the memory filesystem, sweeps a killed agent's files, and an agent leaves only its own files there", () => {
    const { shm, paths } = fresh();
    const dir = prepareScratchDir(paths, { shm, isMemoryFs: memory });
    expect(dir.startsWith(`${shm}/distcc-client-`)).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir, "cpp-1-2.i"), "leftover");
    writeFileSync(join(dir, "other"), "kept");
    // The next agent of the same DISTCC_DIR gets the same directory, swept.
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(dir);
    expect(existsSync(join(dir, "cpp-1-2.i"))).toBe(false);
    expect(existsSync(join(dir, "other"))).toBe(true);
    writeFileSync(join(dir, "cpp-100-1.i"), "ours");
    writeFileSync(join(dir, "cpp-1001-1.i"), "a newer agent's");
    removeOwnScratchFiles(dir, 100);
    expect(existsSync(join(dir, "cpp-100-1.i"))).toBe(false);
    expect(existsSync(join(dir, "cpp-1001-1.i"))).toBe(true);
    expect(existsSync(dir)).toBe(true);
    removeOwnScratchFiles(join(dir, "missing")); // nothing to do, no throw
  });

  it("another DISTCC_DIR gets another directory", () => {
    const a = fresh();
    const other = agentPaths({ DISTCC_DIR: `${a.paths.stateDir}-2` });
    expect(prepareScratchDir(a.paths, { shm: a.shm, isMemoryFs: memory })).not.toBe(prepareScratchDir(other, { shm: a.shm, isMemoryFs: memory }));
  });

  it("falls back to the agent's own directory: no memory filesystem, a name someone else set up, no /dev/shm", () => {
    const { shm, paths } = fresh();
    expect(prepareScratchDir(paths, { shm, isMemoryFs: () => false })).toBe(paths.agentDir);
    // The name exists but others may read it: not ours to trust.
    const dir = prepareScratchDir(paths, { shm, isMemoryFs: memory });
    chmodSync(dir, 0o755);
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(paths.agentDir);
    rmSync(dir, { recursive: true });
    // A symlink planted under the name (to a directory of ours or not) is never followed.
    const target = join(shm, "elsewhere");
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, dir);
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(paths.agentDir);
    expect(prepareScratchDir(paths, { shm: join(shm, "missing"), isMemoryFs: memory })).toBe(paths.agentDir);
    // The statfs check itself on a path that does not exist: a fallback, not a throw.
    expect(prepareScratchDir(paths, { shm: join(shm, "missing") })).toBe(paths.agentDir);
  });
});
