import { fstatSync, unlinkSync, writeFileSync } from "node:fs";
import { Socket } from "node:net";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { IdentityCache } from "@x/distcc-toolchain";
import { Duplex } from "node:stream";
import { loadConfigFile } from "./config-file.js";
import { DETACHED_ENV, reportToParent, startDetachedCopy } from "./daemonize.js";
import { dropPrivileges, personaToBecome } from "./drop-privileges.js";
import { HeaderStore } from "./header-store.js";
import { JobFolders } from "./job-folder.js";
import { DistccServerError } from "./errors.js";
import { parseFlags } from "./flags.js";
import { helpText } from "./help.js";
import { LineLogger } from "./logger.js";
import { createJobService, startServer, type DistccServer, type ServerOptions } from "./server.js";
import { runServiceCommand } from "./service-install.js";
import { defaultSettings, type Settings } from "./settings.js";
import { inServerUnits, SERVER_OPTION_DEFAULTS } from "./defaults.js";
import { packageVersion, versionText } from "./version.js";
import { AllowList } from "./allow-list.js";
import { showPeer } from "./client-address.js";
import {
  EXIT_BAD_ARGUMENTS,
  EXIT_BIND_FAILED,
  EXIT_DISTCC_FAILED,
  EXIT_SETUID_FAILED,
  EXIT_SUCCESS,
} from "@x/distcc-protocol";
import { armLifetime } from "./lifetime.js";
import { isErrno } from "./errno.js";
import { registerZeroconf, type ZeroconfRegistration } from "./zeroconf-service.js";

/** defaults < config file < flags. A bad `--allow` entry is a bad argument here, as in distccd. */
export function resolveSettings(argv: readonly string[]): Settings {
  const flags = parseFlags(argv);
  const file = flags.config ? loadConfigFile(flags.config) : {};
  const settings = { ...defaultSettings(), ...file, ...flags };
  new AllowList(settings.allow);
  return settings;
}

/**
 * The exit status for an error of start-up, after the arguments were read (those all exit 101,
 * EXIT_BAD_ARGUMENTS): a busy port 102 (EXIT_BIND_FAILED; distcc's test suite and init scripts
 * try the next port on it), anything else 100 (EXIT_DISTCC_FAILED), as distccd.
 */
function startFailureExitCode(err: unknown): number {
  if (err instanceof DistccServerError && err.code === "DISTCC_SERVER_ERR_LISTEN") return EXIT_BIND_FAILED;
  if (err instanceof DistccServerError && err.code === "DISTCC_SERVER_ERR_ALLOW") return EXIT_BAD_ARGUMENTS;
  return EXIT_DISTCC_FAILED;
}

/** The user the server becomes after start, for the job cgroups it then makes. */
function runAsOption(user: string | undefined): { runAs?: { uid: number; gid: number } } {
  const p = personaToBecome(user);
  return p ? { runAs: { uid: p.uid, gid: p.gid } } : {};
}

/** The library options the settings describe. */
export function serverOptionsFrom(settings: Settings, logger: LineLogger): ServerOptions {
  return {
    // Ports, caps, timeouts and limits, in bytes and milliseconds (the one conversion, defaults.ts).
    ...inServerUnits(settings),
    ...(settings.listen ? { listen: settings.listen } : {}),
    allow: settings.allow,
    allowPrivate: settings.allowPrivate,
    jobs: settings.jobs,
    sandbox: settings.sandbox,
    ...runAsOption(settings.user),
    ...(settings.tempDir ? { tempDir: settings.tempDir } : {}),
    logger,
    ...(settings.stats ? { statsPort: settings.statsPort } : {}),
    discover: {
      extraDirs: settings.compilerDirs,
      cache: new IdentityCache({ file: settings.cacheFile ?? defaultCacheFile() }),
    },
    // distccd's environment variables: DISTCC_CMDLIST replaces the discovered whitelist.
    ...(process.env.DISTCC_CMDLIST
      ? { cmdList: { file: process.env.DISTCC_CMDLIST, words: Number(process.env.DISTCC_CMDLIST_NUMWORDS) || 1 } }
      : {}),
  };
}

/** The header cache the settings ask for (opened as the user the server runs as: its files are that user's). */
function openHeaderStore(settings: Settings, logger: LineLogger): { store?: HeaderStore; error?: string } {
  if (settings.cacheSize === 0) return {};
  try {
    const store = HeaderStore.open({
      maxBytes: settings.cacheSize * 1024 * 1024,
      ...(settings.cacheDir ? { dir: settings.cacheDir } : {}),
      onWarning: (message) => logger.log("warning", "header_cache", message),
    });
    if (settings.cacheDir)
      logger.log(
        "info",
        "main",
        `header cache in ${settings.cacheDir}: ${store.size} entries, ${Math.round(store.bytes / 1024)} KB of ${settings.cacheSize} MB`,
      );
    return { store };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Where compiler probes are remembered between starts (start-up drops from ~1 s to ~0.1 s). */
function defaultCacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), ".cache");
  return join(base, "distcc-server", "compilers.json");
}

function stdioStream(): { stream: Duplex; client: string; address?: string } {
  // Started by inetd, stdin and stdout are the same TCP socket. Over ssh they are two pipes (or two
  // socketpairs): read one, write the other.
  const [inStat, outStat] = [fstatSync(0), fstatSync(1)];
  if (inStat.isSocket() && inStat.dev === outStat.dev && inStat.ino === outStat.ino) {
    const socket = new Socket({ fd: 0, readable: true, writable: true, allowHalfOpen: true });
    return {
      stream: socket,
      client: showPeer(socket.remoteAddress, socket.remotePort),
      ...(socket.remoteAddress ? { address: socket.remoteAddress } : {}),
    };
  }
  return { stream: Duplex.from({ readable: process.stdin, writable: process.stdout }), client: "stdin" };
}

async function runInetd(settings: Settings, logger: LineLogger): Promise<number> {
  const options = serverOptionsFrom(settings, logger);
  // distccd: in inetd mode without --allow everyone is allowed (ssh already authenticated them).
  const explicitAllow = settings.allow.length > 0 || settings.allowPrivate;
  const service = await createJobService(options);
  const store = openHeaderStore(settings, logger);
  if (store.error) logger.log("error", "main", `${store.error}; no header cache`);
  else service.setHeaderStore(store.store);
  const { stream, client, address } = stdioStream();
  if (explicitAllow && address !== undefined && !service.allow.allows(address)) {
    logger.log("warning", "check_client", `refused ${client}: not in the --allow list`);
    stream.destroy();
    return EXIT_SUCCESS;
  }
  // --lifetime bounds an inetd job too: the connection is cut and the job's folder removed.
  let expired = false;
  const lifetime = armLifetime(settings.lifetime, () => {
    expired = true;
    logger.log("notice", "main", `--lifetime ${settings.lifetime} s reached: closing the connection`);
    stream.destroy();
  });
  const summary = await service.serveStream(stream, client);
  lifetime.cancel();
  await service.drain(expired ? 0 : 1000);
  return summary.result === "COMPILE_OK" || summary.result === "COMPILE_ERROR" ? EXIT_SUCCESS : 1;
}

/** Settings a running server takes from a reloaded config file; the others need a restart. */
const RELOADABLE: ReadonlySet<keyof Settings> = new Set(["allow", "allowPrivate", "logLevel"]);

/**
 * SIGHUP (`systemctl reload`): reads the config file again (flags still win) and applies the allow
 * list and the log level. A file that does not parse changes nothing; keys that need a restart
 * are named in the log.
 */
function reloadConfig(
  argv: readonly string[],
  applied: Settings,
  server: Pick<DistccServer, "setAllow">,
  logger: LineLogger,
): Settings {
  let next: Settings;
  try {
    next = resolveSettings(argv);
  } catch (err) {
    logger.log("error", "main", `SIGHUP: ${(err as Error).message}; keeping the running settings`);
    return applied;
  }
  server.setAllow(next);
  logger.setLevel(next.logLevel);
  const allow = [...next.allow, ...(next.allowPrivate ? ["private networks"] : [])];
  const restart = (Object.keys({ ...applied, ...next }) as (keyof Settings)[]).filter(
    (key) => !RELOADABLE.has(key) && JSON.stringify(applied[key]) !== JSON.stringify(next[key]),
  );
  logger.log(
    "notice",
    "main",
    `SIGHUP: reloaded ${next.config}: allow ${allow.length ? allow.join(", ") : "this machine only"}, log level ${next.logLevel}` +
      (restart.length ? `; changed but applied only after a restart: ${restart.join(", ")}` : ""),
  );
  // What runs now: the reloadable keys from the file, the rest as started.
  return { ...applied, allow: next.allow, allowPrivate: next.allowPrivate, logLevel: next.logLevel };
}

/** The whole CLI; resolves with the exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  if (argv[0] === "service") return runServiceCommand(argv.slice(1));
  let settings: Settings;
  try {
    settings = resolveSettings(argv);
  } catch (err) {
    process.stderr.write(`distcc-server: ${(err as Error).message}\n`);
    return EXIT_BAD_ARGUMENTS;
  }
  if (settings.help) {
    process.stdout.write(helpText(packageVersion()));
    return EXIT_SUCCESS;
  }
  if (settings.version) {
    process.stdout.write(versionText());
    return EXIT_SUCCESS;
  }
  const detachedCopy = process.env[DETACHED_ENV] === "1";
  if (settings.daemon && !settings.noDetach && !settings.inetd && !detachedCopy) {
    return startDetachedCopy(argv);
  }

  let logger: LineLogger;
  try {
    logger = new LineLogger({
      level: settings.logLevel,
      ...(settings.logFile ? { file: settings.logFile } : {}),
      // In inetd mode stdout/stdin carry the protocol: stderr is still fine for logs.
      stderr: settings.logStderr || !settings.logFile,
    });
  } catch (err) {
    process.stderr.write(`distcc-server: cannot open log file: ${(err as Error).message}\n`);
    return EXIT_BAD_ARGUMENTS;
  }
  try {
    setPriority(settings.nice);
  } catch (err) {
    logger.log("warning", "main", `cannot set niceness ${settings.nice}: ${(err as Error).message}`);
  }

  if (settings.insecureRequested) {
    logger.log("info", "main", "--enable-tcp-insecure accepted for compatibility; the compiler whitelist stays on");
  }
  if (settings.inetd) return runInetd(settings, logger);

  const options = serverOptionsFrom(settings, logger);
  let server: DistccServer;
  try {
    server = await startServer(options);
  } catch (err) {
    const message = err instanceof DistccServerError ? err.message : `cannot start: ${(err as Error).message}`;
    logger.log("critical", "main", message);
    const status = startFailureExitCode(err);
    reportToParent({ ready: false, error: message, status });
    return status;
  }
  if (settings.pidFile) {
    try {
      writeFileSync(settings.pidFile, `${process.pid}\n`);
    } catch (err) {
      logger.log("error", "main", `cannot write pid file ${settings.pidFile}: ${(err as Error).message}`);
    }
  }
  // Ports are bound and the log file is open: now stop being root (distccd does the same).
  const drop = dropPrivileges(settings.user);
  if (drop.error) {
    logger.log("critical", "main", `cannot become user ${drop.persona?.name ?? settings.user}: ${drop.error}`);
    reportToParent({ ready: false, error: `cannot drop privileges: ${drop.error}`, status: EXIT_SETUID_FAILED });
    await server.close({ graceMs: 0 });
    return EXIT_SETUID_FAILED;
  }
  if (drop.changed && drop.persona) {
    logger.log("notice", "main", `running as user ${drop.persona.name} (uid ${drop.persona.uid})`);
    try {
      const folders = new JobFolders(server.tempDir);
      await folders.check();
      // Leftovers of a dead server that ran as this user (the clean-up at start ran as root).
      await folders.removeStale();
    } catch (err) {
      const message = `${(err as Error).message}; it must be writable by user ${drop.persona.name}`;
      logger.log("critical", "main", message);
      reportToParent({ ready: false, error: message, status: EXIT_DISTCC_FAILED });
      await server.close({ graceMs: 0 });
      return EXIT_DISTCC_FAILED;
    }
  } else if (process.getuid?.() === 0)
    logger.log("warning", "main", "running as root: compilers run as root too (--user root)");
  // Opened now, as the user that serves: the directory and its entries are that user's, mode 0700.
  const headers = openHeaderStore(settings, logger);
  if (headers.error) {
    logger.log("critical", "main", headers.error);
    reportToParent({ ready: false, error: headers.error, status: EXIT_BAD_ARGUMENTS });
    await server.close({ graceMs: 0 });
    return EXIT_BAD_ARGUMENTS;
  }
  server.setHeaderStore(headers.store);
  const where = `${server.address.address}:${server.address.port}`;
  logger.log(
    "notice",
    "main",
    `listening on ${where} with ${settings.jobs} job slots${server.statsAddress ? `, stats on port ${server.statsAddress.port}` : ""}`,
  );
  if (settings.allow.length === 0 && !settings.allowPrivate) {
    logger.log(
      "notice",
      "main",
      "accepting clients from this machine only (127.0.0.0/8, ::1); to serve other machines add --allow 192.168.1.0/24 (repeatable) or --allow-private",
    );
  }
  // Registered once the port serves (a client may connect as soon as it sees the record); a
  // failure to register is said, and the server serves the clients that name it.
  let zeroconf: ZeroconfRegistration | undefined;
  if (settings.zeroconf) {
    try {
      zeroconf = await registerZeroconf({
        port: server.address.port,
        jobs: settings.jobs,
        whitelist: server.whitelist,
        ...(server.statsAddress ? { statsPort: server.statsAddress.port } : {}),
      });
      logger.log(
        "notice",
        "zeroconf",
        `registered ${zeroconf.registration.name} (_distcc._tcp, port ${server.address.port}) through ${zeroconf.backend.description}; subtypes ${zeroconf.subtypes.join(" ") || "none"}` +
          (zeroconf.fallbackReason ? ` (${zeroconf.fallbackReason})` : ""),
      );
    } catch (err) {
      logger.log(
        "error",
        "zeroconf",
        `cannot register over DNS-SD: ${(err as Error).message}; clients must name this server`,
      );
    }
    // The records name this machine's network addresses; a loopback-only listener is not there.
    if (zeroconf && settings.listen && /^(127\.|::1$|localhost$)/.test(settings.listen)) {
      logger.log(
        "warning",
        "zeroconf",
        `--listen ${settings.listen}: other machines find this server but cannot connect to it`,
      );
    }
  }
  reportToParent({ ready: true });

  return new Promise<number>((resolve) => {
    const graceMs = SERVER_OPTION_DEFAULTS.closeGraceMs;
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.log("warning", "main", `${signal} again: exiting now`);
        resolve(1);
        return;
      }
      stopping = true;
      logger.log(
        "notice",
        "main",
        `${signal}: no new connections; waiting for running jobs (at most ${graceMs / 1000} s)`,
      );
      // The goodbye first: clients stop choosing this server while its last jobs finish.
      const withdrawn = zeroconf
        ?.withdraw()
        .catch((err: unknown) =>
          logger.log("warning", "zeroconf", `cannot withdraw the registration: ${(err as Error).message}`),
        );
      void Promise.all([server.close({ graceMs }), withdrawn]).then(() => {
        if (settings.pidFile) {
          try {
            unlinkSync(settings.pidFile);
          } catch (err) {
            // ENOENT: someone removed it already. Anything else is worth a line in the log.
            if (!isErrno(err, "ENOENT"))
              logger.log("warning", "main", `cannot remove pid file ${settings.pidFile}: ${(err as Error).message}`);
          }
        }
        logger.log("notice", "main", "stopped");
        resolve(EXIT_SUCCESS);
      });
    };
    // distccd's --lifetime (its test suite starts every daemon with one): stop as on SIGTERM.
    armLifetime(settings.lifetime, () => stop(`--lifetime ${settings.lifetime} s reached`));
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    let applied = settings;
    process.on("SIGHUP", () => {
      try {
        logger.reopen();
        if (settings.logFile) logger.log("notice", "main", "SIGHUP: log file reopened");
      } catch (err) {
        process.stderr.write(`distcc-server: cannot reopen log file: ${(err as Error).message}\n`);
      }
      if (settings.config) applied = reloadConfig(argv, applied, server, logger);
    });
  });
}
