import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { constants, endianness } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Socket } from "node:net";
import { inlineLauncher, type LaunchRequest, type LaunchResult, type Launcher } from "./launcher.js";

/** The helper's C source: native/spawn-helper.c beside dist/ (and beside src/ in the checkout). */
const SPAWN_HELPER_SOURCE = fileURLToPath(new URL("../native/spawn-helper.c", import.meta.url));

// Why: child_process.spawn forks the whole Node process (page tables of a 70 MB heap: 2-8 ms of
// blocked event loop per compile on the bench machine). A ~1 MB C helper (native/spawn-helper.c)
// forks instead; the server only writes a request to a pipe. Built on first use with the host's C
// compiler (a compile server has one) in a private folder that is removed as soon as the helper
// runs; if building or starting it fails, compilers are spawned from this process (inlineLauncher).

const LE = endianness() === "LE";
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([k, v]) => [v, k as NodeJS.Signals]),
);
const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

interface Pending {
  onSpawn: (pid: number) => void;
  resolve: (r: LaunchResult) => void;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  if (LE) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}

function execFileOk(file: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C" } }, (err) =>
      resolve(!err),
    );
  });
}

/** Launcher through the native helper; falls back to `inlineLauncher` when it cannot be built. */
export class NativeLauncher implements Launcher {
  private helper: ChildProcess | undefined;
  private starting: Promise<ChildProcess | undefined> | undefined;
  private failed = false;
  private closed = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered: Buffer = Buffer.alloc(0);

  /** `buildDir`: where the helper is compiled (a private sub-folder, removed once it runs). */
  constructor(
    private readonly buildDir: string,
    private readonly compilers: readonly string[] = ["cc", "gcc"],
    /** Told once why the helper cannot run here (launches then start from this process). */
    private readonly onUnavailable?: (reason: string) => void,
  ) {}

  /** Why the helper could not be started, once that is known. */
  private unavailableReason: string | undefined;

  /** Builds and starts the helper; undefined when that is not possible here. */
  private async startHelper(): Promise<ChildProcess | undefined> {
    let dir: string | undefined;
    try {
      dir = await mkdtemp(join(this.buildDir, ".distcc-server-spawn-"));
      const bin = join(dir, "spawn");
      let built = false;
      for (const cc of this.compilers) {
        if (await execFileOk(cc, ["-O2", "-o", bin, SPAWN_HELPER_SOURCE])) {
          built = true;
          break;
        }
      }
      if (this.closed) return undefined;
      if (!built) {
        this.unavailableReason = `no C compiler could build it (tried ${this.compilers.join(", ")})`;
        return undefined;
      }
      const child = spawn(bin, [], { stdio: ["pipe", "pipe", "inherit"], env: {} });
      const ok = await new Promise<boolean>((resolve) => {
        child.once("spawn", () => resolve(true));
        child.once("error", (err) => {
          this.unavailableReason = `it did not start: ${err.message}`;
          resolve(false);
        });
      });
      if (!ok) return undefined;
      this.attach(child);
      return child;
    } catch (err) {
      // Any failure to build it (EACCES or ENOSPC in the build dir, EAGAIN from spawn...) falls
      // back to spawning from this process: a compile never fails because the helper could not run.
      this.unavailableReason = (err as Error).message;
      return undefined;
    } finally {
      // The running helper keeps its (unlinked) binary; nothing is left on disk.
      // force: a missing dir is fine. Any other failure leaves a private, unused build dir
      // behind, which must not fail the launch it was made for.
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private attach(child: ChildProcess): void {
    child.stdout?.on("data", (chunk: Buffer) => this.onData(chunk));
    child.stdin?.on("error", () => undefined);
    const failAll = (): void => {
      if (this.helper === child) this.helper = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id, { kind: "error", message: "the spawn helper exited" });
    };
    child.once("exit", failAll);
    child.once("error", failAll);
    this.helper = child;
    this.setKeepAlive(false);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    let off = 0;
    const rd = (o: number): number => (LE ? this.buffered.readUInt32LE(o) : this.buffered.readUInt32BE(o));
    const rs = (o: number): number => (LE ? this.buffered.readInt32LE(o) : this.buffered.readInt32BE(o));
    while (this.buffered.length - off >= 16) {
      const kind = rd(off);
      const id = rd(off + 4);
      const a = rs(off + 8);
      off += 16;
      const p = this.pending.get(id);
      if (!p) continue;
      if (kind === 1) {
        p.onSpawn(a);
      } else if (kind === 2) {
        this.settle(id, { kind: "error", message: `spawn ${ERRNO_NAMES.get(a) ?? `errno ${a}`}` });
      } else if (kind === 3) {
        // a = wait status: exited (low 7 bits 0) or killed by signal (low 7 bits).
        const sig = a & 0x7f;
        if (sig === 0) this.settle(id, { kind: "exit", code: (a >> 8) & 0xff, signal: null });
        else this.settle(id, { kind: "exit", code: null, signal: SIGNAL_NAMES.get(sig) ?? "SIGKILL" });
      }
    }
    this.buffered = off === this.buffered.length ? Buffer.alloc(0) : this.buffered.subarray(off);
  }

  /** The helper keeps this process alive only while a launch waits for it. */
  private setKeepAlive(on: boolean): void {
    const child = this.helper;
    if (!child) return;
    const streams = [child.stdin, child.stdout] as unknown as (Socket | null)[];
    if (on) {
      child.ref();
      for (const s of streams) s?.ref?.();
    } else {
      child.unref();
      for (const s of streams) s?.unref?.();
    }
  }

  private settle(id: number, result: LaunchResult): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.setKeepAlive(false);
    p.resolve(result);
  }

  private async ensureHelper(): Promise<ChildProcess | undefined> {
    if (this.closed || this.failed) return undefined;
    if (this.helper && this.helper.exitCode === null && this.helper.signalCode === null) return this.helper;
    this.starting ??= this.startHelper().then((child) => {
      this.starting = undefined;
      if (!child) {
        this.failed = true;
        if (!this.closed) this.onUnavailable?.(this.unavailableReason ?? "unknown reason");
      }
      return child;
    });
    return this.starting;
  }

  async launch(req: LaunchRequest, onSpawn: (pid: number) => void): Promise<LaunchResult> {
    const helper = await this.ensureHelper();
    if (!helper?.stdin) return inlineLauncher.launch(req, onSpawn);
    const env: string[] = [];
    for (const [k, v] of Object.entries(req.env)) if (v !== undefined) env.push(`${k}=${v}`);
    const cgroups = req.cgroupProcs ?? [];
    const strings = [req.file, req.cwd, req.stdoutFile, req.stderrFile, ...cgroups, req.file, ...req.args, ...env];
    // As Node's spawn: a NUL inside an argument cannot be passed to exec.
    if (strings.some((s) => s.includes("\0"))) return { kind: "error", message: "an argument contains a NUL byte" };
    const payload = Buffer.from(`${strings.join("\0")}\0`);
    const id = this.nextId++;
    if (this.nextId > 0xffffffff) this.nextId = 1;
    return new Promise((resolve) => {
      if (this.pending.size === 0) this.setKeepAlive(true);
      this.pending.set(id, { onSpawn, resolve });
      const l = req.limits;
      const limits = [l?.addressSpaceMiB ?? 0, l?.cpuSeconds ?? 0, l?.fileSizeMiB ?? 0, l?.userProcesses ?? 0].map(
        (n) => u32(Math.max(0, Math.floor(n))),
      );
      const header = Buffer.concat([
        u32(id),
        u32(payload.length),
        u32(req.args.length + 1),
        u32(env.length),
        ...limits,
        u32(cgroups.length),
      ]);
      helper.stdin!.write(Buffer.concat([header, payload]));
    });
  }

  close(): void {
    this.closed = true;
    this.helper?.stdin?.end();
    this.helper = undefined;
  }
}
