import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentPaths } from "../agent-paths.js";
import { prepareScratchDir, removeScratchDir } from "./scratch-dir.js";

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
/** Above any pid_max: never a live process. */
const DEAD_PID = 999_999_999;

describe("prepareScratchDir", () => {
  it("makes this agent's private directory on the memory filesystem, and removes it at the end", () => {
    const { shm, paths } = fresh();
    const dir = prepareScratchDir(paths, { shm, isMemoryFs: memory });
    expect(basename(dir)).toMatch(new RegExp(`^distcc-client-\\d+-[0-9a-f]{16}-${process.pid}$`));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    writeFileSync(join(dir, "cpp-1-2.i"), "in flight");
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(dir); // the same agent again
    removeScratchDir(dir, paths);
    expect(existsSync(dir)).toBe(false);
    // The agent's own directory (the fallback) is never removed.
    mkdirSync(paths.agentDir, { recursive: true });
    removeScratchDir(paths.agentDir, paths);
    expect(existsSync(paths.agentDir)).toBe(true);
  });

  it("removes the directories of dead agents of the same DISTCC_DIR, never a live agent's or another DISTCC_DIR's", () => {
    const { shm, paths } = fresh();
    const other = agentPaths({ DISTCC_DIR: `${paths.stateDir}-2` });
    const dead = prepareScratchDir(paths, { shm, isMemoryFs: memory, pid: DEAD_PID });
    writeFileSync(join(dead, "cpp-9-1.i"), "leftover");
    const live = prepareScratchDir(paths, { shm, isMemoryFs: memory, pid: process.ppid });
    const otherDead = prepareScratchDir(other, { shm, isMemoryFs: memory, pid: DEAD_PID });
    expect(new Set([dead, live, otherDead]).size).toBe(3);
    const mine = prepareScratchDir(paths, { shm, isMemoryFs: memory });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(otherDead)).toBe(true);
    expect(existsSync(mine)).toBe(true);
  });

  it("falls back to the agent's own directory: no memory filesystem, a name someone else set up, no /dev/shm", () => {
    const { shm, paths } = fresh();
    expect(prepareScratchDir(paths, { shm, isMemoryFs: () => false })).toBe(paths.agentDir);
    // The name exists but others may enter it: not ours to trust (and not removed).
    const dir = prepareScratchDir(paths, { shm, isMemoryFs: memory });
    chmodSync(dir, 0o755);
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(paths.agentDir);
    expect(existsSync(dir)).toBe(true);
    rmSync(dir, { recursive: true });
    // A symlink planted under the name (to a directory of ours or not) is never followed.
    const target = join(shm, "elsewhere");
    mkdirSync(target, { mode: 0o700 });
    symlinkSync(target, dir);
    expect(prepareScratchDir(paths, { shm, isMemoryFs: memory })).toBe(paths.agentDir);
    // ... nor removed as a dead agent's leftovers.
    const planted = join(shm, basename(dir).replace(/\d+$/, String(DEAD_PID)));
    symlinkSync(target, planted);
    prepareScratchDir(paths, { shm, isMemoryFs: memory, pid: 1 });
    expect(existsSync(target)).toBe(true);
    expect(prepareScratchDir(paths, { shm: join(shm, "missing"), isMemoryFs: memory })).toBe(paths.agentDir);
    // The statfs check itself on a path that does not exist: a fallback, not a throw.
    expect(prepareScratchDir(paths, { shm: join(shm, "missing") })).toBe(paths.agentDir);
  });
});
