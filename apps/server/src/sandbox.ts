import { DistccError } from "@x/distcc-errors";
import type { ServerErrorCode } from "./errors.js";
import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isErrno } from "./errno.js";

export const SANDBOX_MODES = ["auto", "bwrap", "none"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

/** What the server uses (the /json field): bwrap, none (asked), unavailable (auto, probe failed). */
export type SandboxState = "bwrap" | "none" | "unavailable";

/** --sandbox bwrap was asked for and bubblewrap does not work here. */
export class SandboxUnavailableError extends DistccError<ServerErrorCode> {
  constructor(message: string) {
    super("DISTCC_SERVER_ERR_SANDBOX", message);
  }
}

const BWRAP_PATHS = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"];

/** Where bubblewrap is installed, if it is. */
export function findBwrap(): string | undefined {
  return BWRAP_PATHS.find((p) => existsSync(p));
}

/**
 * Writable or shared places of the host that a compiler has no business seeing: each gets an empty
 * tmpfs. /run (and /var/run, its link) holds Unix sockets (a read-only mount does not stop a
 * connect()), /tmp, /var/tmp and /dev/shm other users' files.
 */
const MASKED = ["/dev/shm", "/tmp", "/var/tmp", "/run"];

/**
 * What of the host a compiler sees (read-only), instead of the whole `/`: the programs and
 * libraries (/usr and the top-level /bin, /lib... which are links into it on merged-/usr systems),
 * and of /etc only what compilers and the dynamic loader read: the loader's cache, the
 * alternatives (cc, c++ are links through /etc/alternatives), clang's config directory and the
 * distribution files clang reads to find its GCC installation. Not /etc/passwd, /home, /root,
 * /var, /opt, /srv, /mnt, /work...: a pump job's `#include "/etc/passwd"` finds nothing.
 * A compiler installed elsewhere (/opt/toolchain) has its own tree bound (bindsFor).
 */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const SYSTEM_ETC = [
  "/etc/alternatives",
  "/etc/ld.so.cache",
  "/etc/ld.so.conf",
  "/etc/ld.so.conf.d",
  "/etc/clang",
  "/etc/os-release",
  "/etc/lsb-release",
  "/etc/debian_version",
  "/etc/redhat-release",
  "/etc/system-release",
  "/etc/gentoo-release",
  "/etc/SuSE-release",
];

/** Size of each masking tmpfs: they only hold mount points (the compiler's TMPDIR is its job
 *  folder), so writing there cannot take the host's memory. */
const MASK_SIZE = String(16 << 20);

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    if (isErrno(error, "ENOENT", "ENOTDIR", "EACCES", "ELOOP")) return path;
    throw error;
  }
}

/**
 * Builds the bubblewrap command line of one compile. The compiler sees the host read-only, a
 * minimal /dev, its own /proc, PID, IPC, UTS and network namespaces (no network at all), empty
 * tmpfs over /tmp, /var/tmp, /run and the server's temp dir, and, writable, only its own job
 * folder bound back at the same path (so no path in the command changes). It runs without
 * capabilities even when the server is root, in a new session, and dies with bwrap
 * (--die-with-parent), which dies with the spawn helper (PR_SET_PDEATHSIG).
 */
export class BwrapSandbox {
  private readonly tempDir: string;

  /** `sizedTmpfs`: bwrap knows --size (0.6+); without it the masks are unbounded tmpfs. */
  constructor(
    readonly bwrap: string,
    tempDir: string,
    readonly sizedTmpfs = true,
  ) {
    this.tempDir = realOrSame(resolve(tempDir));
  }

  /** The argv up to the compiler's binds, the same for every job; and those binds per compiler. */
  private prefix: string[] | undefined;
  private readonly masks: string[] = [];
  private readonly compilerBinds = new Map<string, string[]>();

  private commonPrefix(): string[] {
    if (!this.prefix) {
      this.masks.push(...[...MASKED, this.tempDir].filter((d, i, all) => all.indexOf(d) === i));
      this.prefix = [...systemBinds(), "--dev", "/dev", "--proc", "/proc"];
      for (const d of this.masks) {
        if (this.sizedTmpfs) this.prefix.push("--size", MASK_SIZE);
        this.prefix.push("--tmpfs", d);
      }
    }
    return this.prefix;
  }

  /**
   * A compiler that lives outside the system directories (a toolchain in /opt, or unpacked under
   * /tmp, which is masked) is bound back read-only: the whitelist chose it, so it must still run.
   * A `bin` folder brings its parent (the toolchain's lib/ and libexec/ are beside it). Worked out
   * once per compiler.
   */
  private bindsFor(file: string): string[] {
    let binds = this.compilerBinds.get(file);
    if (!binds) {
      binds = [];
      for (const exe of new Set([file, realOrSame(file)])) {
        const dir = dirname(exe);
        if (SYSTEM_DIRS.some((d) => isUnder(dir, d)) && !this.masks.some((m) => isUnder(dir, m))) continue;
        const parent = dirname(dir);
        const root = dir.endsWith("/bin") && parent !== "/" && !this.masks.includes(parent) ? parent : dir;
        binds.push("--ro-bind", root, root);
      }
      if (this.compilerBinds.size < 1024) this.compilerBinds.set(file, binds);
    }
    return binds;
  }

  /** The argv (after bwrap itself) that runs `file args` for the job folder `jobDir`. */
  argsFor(file: string, args: readonly string[], jobDir: string, cwd: string): string[] {
    const out = [...this.commonPrefix(), ...this.bindsFor(file)];
    out.push(
      "--bind",
      jobDir,
      jobDir,
      "--unshare-net",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-cgroup-try",
      "--die-with-parent",
      "--new-session",
      "--cap-drop",
      "ALL",
      // The root tmpfs bwrap builds the tree in: read-only too, or a compiler could fill it.
      "--remount-ro",
      "/",
      "--chdir",
      cwd,
      "--",
      file,
      ...args,
    );
    return out;
  }
}

/** The read-only view of the system (see SYSTEM_DIRS): links stay links, what is missing is skipped. */
function systemBinds(): string[] {
  const out: string[] = [];
  for (const path of [...SYSTEM_DIRS, ...SYSTEM_ETC]) {
    let link: string | undefined;
    try {
      link = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
    } catch (error) {
      if (isErrno(error, "ENOENT", "ENOTDIR", "EACCES")) continue;
      throw error;
    }
    // /bin -> usr/bin stays a link (what it names is bound already); /etc/os-release ->
    // ../usr/lib/os-release likewise. Any other link is bound as what it leads to.
    if (link !== undefined && SYSTEM_DIRS.some((d) => isUnder(resolve(dirname(path), link), d)))
      out.push("--symlink", link, path);
    else out.push("--ro-bind", path, path);
  }
  return out;
}

function run(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolvePromise) => {
    execFile(file, args, { timeout: 20_000, env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } }, (err, stdout, stderr) => {
      resolvePromise({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/**
 * Runs the exact sandbox a compile gets (a scratch job folder in `tempDir`) on `/bin/sh`, which
 * must write a file in its folder: proves that user namespaces (or a privileged bwrap) work here.
 */
export async function probeBwrap(
  bwrap: string,
  tempDir: string,
  sizedTmpfs = true,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let jobDir: string | undefined;
  try {
    jobDir = mkdtempSync(join(tempDir, ".distcc-server-probe-"));
    const sandbox = new BwrapSandbox(bwrap, tempDir, sizedTmpfs);
    const sh = existsSync("/bin/sh") ? "/bin/sh" : "/usr/bin/sh";
    const r = await run(bwrap, sandbox.argsFor(sh, ["-c", "echo ok > probe && cat probe"], jobDir, jobDir));
    if (r.ok && r.output === "ok") return { ok: true };
    return { ok: false, reason: r.output.split("\n")[0] || "bwrap failed" };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    if (jobDir) rmSync(jobDir, { recursive: true, force: true });
  }
}

export interface SandboxChoice {
  state: SandboxState;
  sandbox?: BwrapSandbox;
  /** Why there is no sandbox although auto would have used one (for the start-up warning). */
  warning?: string;
}

/**
 * Decides the sandbox for `mode` at start (auto: bwrap when the probe works, else none + warning).
 * `bwrapPath`: bubblewrap's path when not the installed one (tests use a broken one).
 */
export async function chooseSandbox(mode: SandboxMode, tempDir: string, bwrapPath?: string): Promise<SandboxChoice> {
  if (mode === "none") return { state: "none" };
  const bwrap = bwrapPath ?? findBwrap();
  const probe = bwrap
    ? await probeBwrap(bwrap, tempDir)
    : { ok: false as const, reason: "bwrap is not installed (apt-get install bubblewrap)" };
  if (bwrap && probe.ok) return { state: "bwrap", sandbox: new BwrapSandbox(bwrap, tempDir) };
  // An older bwrap without --size: the same sandbox with unbounded masking tmpfs.
  if (bwrap && (await probeBwrap(bwrap, tempDir, false)).ok)
    return { state: "bwrap", sandbox: new BwrapSandbox(bwrap, tempDir, false) };
  const reason = probe.ok ? "bwrap is not installed" : probe.reason;
  if (mode === "bwrap") throw new SandboxUnavailableError(`--sandbox bwrap: the sandbox does not work here: ${reason}`);
  return {
    state: "unavailable",
    warning: `compiles run WITHOUT a sandbox: ${reason}. Install bubblewrap and allow unprivileged user namespaces (or pass --sandbox none to silence this)`,
  };
}
