import { closeSync, openSync, writeSync } from "node:fs";
import { LOG_LEVELS, type LogLevel } from "./settings.js";

/** Where the server's log lines go. `fn` is the part in parentheses of distccd's format. */
export interface Logger {
  log(level: LogLevel, fn: string, message: string): void;
  /** True when a line of that level would be written (skip building expensive messages). */
  enabled(level: LogLevel): boolean;
}

/**
 * Control characters (newlines above all) written as `\xNN`: client-chosen text (compiler and file
 * names) must not be able to forge log lines.
 */
export function escapeControl(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this escapes.
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** A logger that drops everything (the library's default). */
export const silentLogger: Logger = { log() {}, enabled: () => false };

export interface LineLoggerOptions {
  level?: LogLevel;
  /** Append to this file; reopen() opens it again (after log rotation). */
  file?: string;
  /** Also (or, without file, only) write to stderr. */
  stderr?: boolean;
  /** Program name in each line (default "distcc-server"). */
  name?: string;
  /** Process id in each line (default process.pid). */
  pid?: number;
}

/**
 * Writes distccd-style lines: `distcc-server[PID] (fn) message`. Writes are synchronous and whole
 * lines, so concurrent jobs never interleave inside a line.
 */
export class LineLogger implements Logger {
  private fd: number | undefined;
  private threshold: number;
  private readonly prefix: string;

  constructor(private readonly options: LineLoggerOptions = {}) {
    this.threshold = LOG_LEVELS.indexOf(options.level ?? "notice");
    this.prefix = `${options.name ?? "distcc-server"}[${options.pid ?? process.pid}]`;
    if (options.file) this.fd = openSync(options.file, "a", 0o644);
  }

  /** Changes the level from now on (a config reload). */
  setLevel(level: LogLevel): void {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.threshold;
  }

  log(level: LogLevel, fn: string, message: string): void {
    if (!this.enabled(level)) return;
    const severity =
      level === "error" || level === "critical" ? `${level.toUpperCase()}: ` : level === "warning" ? "WARNING: " : "";
    const line = `${this.prefix} (${fn}) ${severity}${escapeControl(message)}\n`;
    let toStderr = this.options.stderr || this.fd === undefined;
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, line);
      } catch (err) {
        // A full disk (ENOSPC, EDQUOT) or a failing one (EIO) must not take the server down: the
        // line goes to stderr instead, with why the log file did not get it.
        process.stderr.write(`${this.prefix} (log) cannot write the log file: ${(err as Error).message}\n`);
        toStderr = true;
      }
    }
    if (toStderr) process.stderr.write(line);
  }

  /** Closes and opens the log file again (SIGHUP after logrotate moved it). */
  reopen(): void {
    if (!this.options.file) return;
    const next = openSync(this.options.file, "a", 0o644);
    const old = this.fd;
    this.fd = next;
    if (old !== undefined) closeSync(old);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
