import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "./config-file.js";
import { DistccServerError } from "./errors.js";
import { parseFlags } from "./flags.js";
import type { Settings } from "./settings.js";

/** Where the service reads its settings (the unit passes it with --config). */
const SERVICE_CONFIG_FILE = "/etc/distcc-server.json";
const SERVICE_UNIT_FILE = "/etc/systemd/system/distcc-server.service";

/** The unit shipped in the package (apps/server/systemd, beside dist/ and src/). */
function shippedUnitPath(): string {
  return fileURLToPath(new URL("../systemd/distcc-server.service", import.meta.url));
}

/** A word of ExecStart, quoted the way systemd reads it when it holds a space or a quote. */
function systemdWord(word: string): string {
  return /^[^\s"'\\$%;]+$/.test(word)
    ? word
    : `"${word.replace(/[\\"]/g, "\\$&").replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

/**
 * The shipped unit with its bare `distcc-server` command replaced by `node script`: the service
 * then runs exactly what was installed, whatever npm's prefix and whether or not node is on
 * systemd's PATH.
 */
function renderUnit(template: string, command: readonly string[]): string {
  const line = /^ExecStart=distcc-server(?= |$)/m;
  if (!line.test(template)) {
    throw new DistccServerError("DISTCC_SERVER_ERR_SERVICE", "the shipped unit has no `ExecStart=distcc-server` line");
  }
  return template.replace(line, `ExecStart=${command.map(systemdWord).join(" ")}`);
}

interface ServiceInstallOptions {
  /** Write under this directory instead of / and do not run systemctl (image builders, tests). */
  root?: string;
  /** Seeds the config file when there is none yet (an existing file is never overwritten). */
  settings: Partial<Settings>;
  /** The command the unit runs (default: this node and this script). */
  command?: readonly string[];
  /** Where the lines of the report go. */
  say?: (line: string) => void;
}

interface ServiceInstallResult {
  unitFile: string;
  configFile: string;
  configWritten: boolean;
  reloaded: boolean;
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, text, { mode: 0o644 });
  renameSync(temp, path);
}

/** Puts the unit and (when missing) the config file in place, then `systemctl daemon-reload`. */
function installService(options: ServiceInstallOptions): ServiceInstallResult {
  const say = options.say ?? (() => {});
  const root = options.root ?? "/";
  if (options.root === undefined && process.getuid?.() !== 0) {
    throw new DistccServerError(
      "DISTCC_SERVER_ERR_SERVICE",
      "writing /etc needs root: run `sudo distcc-server service install ...`",
    );
  }
  const command = options.command ?? [process.execPath, realpathSync(process.argv[1] ?? "")];
  const unit = renderUnit(readFileSync(shippedUnitPath(), "utf8"), command);
  const unitFile = join(root, SERVICE_UNIT_FILE);
  const configFile = join(root, SERVICE_CONFIG_FILE);
  try {
    writeAtomic(unitFile, unit);
    say(`wrote ${unitFile} (runs ${command.join(" ")})`);
    let configWritten = false;
    if (!existsSync(configFile)) {
      writeAtomic(configFile, `${JSON.stringify(options.settings, null, 2)}\n`);
      configWritten = true;
      say(`wrote ${configFile}: ${JSON.stringify(options.settings)}`);
    } else {
      say(
        `kept ${configFile} as it is${Object.keys(options.settings).length ? " (the settings given were not written: edit it, then systemctl reload distcc-server)" : ""}`,
      );
    }
    let reloaded = false;
    if (options.root === undefined && existsSync("/run/systemd/system")) {
      const r = spawnSync("systemctl", ["daemon-reload"], { encoding: "utf8" });
      if (r.status !== 0) {
        throw new DistccServerError(
          "DISTCC_SERVER_ERR_SERVICE",
          `systemctl daemon-reload failed: ${r.error?.message ?? r.stderr.trim()}`,
        );
      }
      reloaded = true;
    } else if (options.root === undefined) {
      say("systemd is not running here: the unit is in place for when it is");
    }
    return { unitFile, configFile, configWritten, reloaded };
  } catch (err) {
    if (err instanceof DistccServerError) throw err;
    throw new DistccServerError("DISTCC_SERVER_ERR_SERVICE", `cannot install the service: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

const USAGE = `Usage:
  distcc-server service install [--root DIR] [SETTINGS...]
      writes ${SERVICE_UNIT_FILE} (runs this node and script as a dynamic user
      "distcc-server", logs to the journal) and, when missing, ${SERVICE_CONFIG_FILE}
      from SETTINGS (server flags, e.g. --allow 192.168.1.0/24 --jobs 8); then daemon-reload.
      --root DIR writes under DIR and runs no systemctl.
  distcc-server service print
      prints the unit install would write.
Then: systemctl enable --now distcc-server; journalctl -u distcc-server -f;
      systemctl reload distcc-server re-reads the config file (allow list, log level).
`;

/** `distcc-server service ...`; resolves with the exit status. */
export function runServiceCommand(argv: readonly string[]): number {
  const [sub, ...rest] = argv;
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    if (sub === "print" && rest.length === 0) {
      process.stdout.write(
        renderUnit(readFileSync(shippedUnitPath(), "utf8"), [process.execPath, realpathSync(process.argv[1] ?? "")]),
      );
      return 0;
    }
    if (sub !== "install") {
      process.stderr.write(
        sub === undefined || sub === "--help" || sub === "-h"
          ? USAGE
          : `distcc-server service: unknown command ${JSON.stringify(sub)}\n${USAGE}`,
      );
      return sub === undefined || sub === "--help" || sub === "-h" ? 0 : 101;
    }
    let root: string | undefined;
    const flags: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i] as string;
      if (word === "--root") {
        root = rest[++i];
        if (!root) throw new DistccServerError("DISTCC_SERVER_ERR_CONFIG", "--root needs a directory");
      } else if (word.startsWith("--root=")) root = word.slice("--root=".length);
      else flags.push(word);
    }
    // Flag spellings in, config-file keys out: the same checks as the file gets when read.
    const settings = parseConfig(parseFlags(flags), "service install settings");
    installService({ ...(root !== undefined ? { root } : {}), settings, say: out });
    if (root === undefined) out("next: systemctl enable --now distcc-server    (log: journalctl -u distcc-server -f)");
    return 0;
  } catch (err) {
    process.stderr.write(`distcc-server service: ${(err as Error).message}\n`);
    return err instanceof DistccServerError && err.code === "DISTCC_SERVER_ERR_CONFIG" ? 101 : 1;
  }
}
