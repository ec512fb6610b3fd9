/**
 * A network where multicast DNS really runs, on one machine (root only): a network namespace with
 * a veth pair (both ends inside), a private system D-Bus, and optionally an avahi-daemon of its own
 * (docs/spec/zeroconf.md, "How to see it on one machine"). Names are unique per lab, so parallel
 * runs do not meet; `stop()` kills what it started and deletes the namespace.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export interface MdnsLab {
  /** The namespace's name (for `ip netns exec`). */
  readonly ns: string;
  /** The two veth ends' addresses (10.231.7.1 and .2: the namespace has its own routing). */
  readonly addresses: readonly [string, string];
  /** DBUS_SYSTEM_BUS_ADDRESS of the lab's bus: give it to every process of the lab. */
  readonly busAddress: string;
  /** A directory for the test's files (removed by stop). */
  readonly dir: string;
  /** argv prefix that runs a command inside the namespace. */
  readonly prefix: readonly string[];
  /** Starts a long-running process in the namespace (stopped by `stop` if still running). */
  start(command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Kills the lab's avahi-daemon (SIGKILL: no goodbyes) and starts a new one, as a package upgrade would. */
  restartAvahi(): Promise<void>;
  /** Removes everything: processes, avahi-daemon, the bus, the namespace, the directory. */
  stop(): Promise<void>;
}

export interface MdnsLabOptions {
  /** Start an avahi-daemon in the namespace (default true); false: mDNS only from the programs. */
  avahi?: boolean;
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

/** Resolves when `text()` matches, or rejects with what it holds after `ms` (a start-up that failed). */
async function waitForOutput(
  text: () => string,
  re: RegExp,
  ms: number,
  what: string,
  child: ChildProcess,
): Promise<void> {
  const until = Date.now() + ms;
  while (!re.test(text())) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`${what} did not start:\n${text()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pids below `pid` (Linux /proc), deepest first. */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch (err) {
    // The process is gone already: nothing below it either.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return kids.flatMap((k) => [...descendants(k), k]);
}

/**
 * SIGKILL to a process and everything below it. unshare's --kill-child does not reach a daemon
 * that changed its user (the kernel clears its parent-death signal), e.g. distccd.
 */
export function killTree(pid: number): void {
  for (const p of [...descendants(pid), pid]) {
    try {
      process.kill(p, "SIGKILL");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // else gone meanwhile
    }
  }
}

export async function startMdnsLab(options: MdnsLabOptions = {}): Promise<MdnsLab> {
  const id = `${process.pid.toString(36)}${randomBytes(3).toString("hex")}`;
  const ns = `zc-${id}`;
  const dir = mkdtempSync(join(tmpdir(), `zc-${id}-`));
  chmodSync(dir, 0o755);
  const children = new Set<ChildProcess>();
  const addresses = ["10.231.7.1", "10.231.7.2"] as const;
  const busPath = join(dir, "system_bus_socket");
  const busAddress = `unix:path=${busPath}`;
  const prefix = ["ip", "netns", "exec", ns] as const;

  const start = (command: string, args: readonly string[], spawnOptions: SpawnOptions = {}): ChildProcess => {
    const child = spawn(prefix[0], [...prefix.slice(1), command, ...args], {
      ...spawnOptions,
      env: { ...process.env, ...spawnOptions.env, DBUS_SYSTEM_BUS_ADDRESS: busAddress },
    });
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  };

  let avahi: ChildProcess | undefined;
  const startAvahi = async (): Promise<void> => {
    // Its pid file and socket are at fixed paths under /run: a private /run in its own mount
    // namespace; its own pid namespace, so killing unshare ends it (--kill-child).
    const child = start(
      "unshare",
      [
        "-m",
        "-p",
        "-f",
        "--kill-child",
        "sh",
        "-c",
        `mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon && exec avahi-daemon --no-drop-root --no-chroot -f ${join(dir, "avahi-daemon.conf")}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    avahi = child;
    let avahiOut = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (avahiOut += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (avahiOut += d));
    await waitForOutput(() => avahiOut, /Server startup complete/, 10_000, "avahi-daemon", child);
  };
  /**
   * After a SIGKILL, the bus releases the dead daemon's name only once it has noticed the closed
   * connection: a new daemon started before that exits with "Failed to acquire D-Bus name". That
   * (and only that) is retried, for up to 10 s.
   */
  const startAvahiAgain = async (): Promise<void> => {
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        return await startAvahi();
      } catch (err) {
        if (!/Failed to acquire D-Bus name/.test(String(err)) || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const restartAvahi = async (): Promise<void> => {
    if (!avahi) throw new Error("this lab runs no avahi-daemon");
    const old = avahi;
    const exited = new Promise<void>((r) =>
      old.exitCode !== null || old.signalCode !== null ? r() : old.once("exit", () => r()),
    );
    killTree(old.pid!);
    await exited;
    await startAvahiAgain();
  };

  const stop = async (): Promise<void> => {
    const exits = [...children].map(
      (c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r()))),
    );
    for (const c of children) if (c.pid !== undefined) killTree(c.pid);
    await Promise.all(exits);
    spawnSync("ip", ["netns", "del", ns]);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    must("ip", ["netns", "add", ns]);
    must("ip", ["-n", ns, "link", "add", "zca", "type", "veth", "peer", "name", "zcb"]);
    for (const [dev, addr] of [
      ["zca", addresses[0]],
      ["zcb", addresses[1]],
    ] as const) {
      must("ip", ["-n", ns, "addr", "add", `${addr}/24`, "dev", dev]);
      must("ip", ["-n", ns, "link", "set", dev, "up"]);
    }
    must("ip", ["-n", ns, "link", "set", "lo", "up"]);
    // Programs that send mDNS themselves need a route for the group (there is no default route here).
    must("ip", ["-n", ns, "route", "add", "224.0.0.0/4", "dev", "zca"]);

    // A system bus of the lab's own: Avahi's well-known name cannot be taken twice on one bus.
    writeFileSync(
      join(dir, "bus.conf"),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>${busAddress}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`,
    );
    const bus = spawn("dbus-daemon", [`--config-file=${join(dir, "bus.conf")}`, "--nofork", "--print-address"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(bus);
    bus.once("exit", () => children.delete(bus));
    let busOut = "";
    bus.stdout!.setEncoding("utf8").on("data", (d: string) => (busOut += d));
    bus.stderr!.setEncoding("utf8").on("data", (d: string) => (busOut += d));
    await waitForOutput(() => busOut, /unix:path=/, 5000, "dbus-daemon", bus);

    if (options.avahi !== false) {
      writeFileSync(
        join(dir, "avahi-daemon.conf"),
        "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=zca,zcb\nenable-dbus=yes\n[wide-area]\nenable-wide-area=no\n[publish]\npublish-workstation=no\npublish-hinfo=no\n",
      );
      await startAvahi();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { ns, addresses, busAddress, dir, prefix, start, stop, restartAvahi };
}
