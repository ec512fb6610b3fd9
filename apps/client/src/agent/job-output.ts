import { appendFileSync } from "node:fs";
import type { ClientOptions } from "../env-options.js";
import type { JobConnection } from "./agent-server.js";
import { errorMessage } from "../errno.js";

/**
 * What one job says: the compiler's own output goes to the launcher; our messages go to stderr
 * (warnings always, debug only with DISTCC_VERBOSE), or to DISTCC_LOG when it is set.
 */
export class JobOutput {
  constructor(
    private readonly job: JobConnection,
    private readonly opts: ClientOptions,
  ) {}

  stdout(data: Uint8Array): void {
    if (data.length)
      this.job.send({ type: "stdout", data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  }

  stderr(data: Uint8Array | string): void {
    const buf =
      typeof data === "string" ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (buf.length) this.job.send({ type: "stderr", data: buf });
  }

  private write(line: string): void {
    const text = `distcc-client[${process.pid}] ${line}\n`;
    if (this.opts.logFile) {
      try {
        appendFileSync(this.opts.logFile, text);
        return;
      } catch (err) {
        // The log became unusable during the job (it was checked at its start): stderr from now on, said.
        const file = this.opts.logFile;
        this.opts.logFile = undefined;
        this.stderr(
          `distcc-client[${process.pid}] Warning: cannot write DISTCC_LOG ${file}: ${errorMessage(err)}; messages go to stderr\n`,
        );
      }
    }
    this.stderr(text);
  }

  warn(message: string): void {
    this.write(`Warning: ${message}`);
  }

  /** Debug detail: only with DISTCC_VERBOSE=1 (or into DISTCC_LOG). */
  debug(message: string): void {
    if (this.opts.verbose || this.opts.logFile) this.write(message);
  }

  exit(code: number): void {
    this.job.send({ type: "exit", code });
    this.job.end();
  }
}
