/** Stable codes of the errors this package throws. */
import { DistccError } from "@x/distcc-errors";

export type ServerErrorCode =
  | "DISTCC_SERVER_ERR_CONFIG" // a flag, config-file key or option value is invalid
  | "DISTCC_SERVER_ERR_UNSUPPORTED" // a distccd option this server refuses (GSS-API, zeroconf), with why
  | "DISTCC_SERVER_ERR_ALLOW" // an --allow entry is not an IP[/BITS]
  | "DISTCC_SERVER_ERR_LISTEN" // cannot bind the port
  | "DISTCC_SERVER_ERR_CLOSED" // the server was closed
  | "DISTCC_SERVER_ERR_SERVICE" // `distcc-server service install` cannot put the unit in place
  | "DISTCC_SERVER_ERR_JOB_FILE" // a job's output is not a regular file (UnsafeJobFileError)
  | "DISTCC_SERVER_ERR_PUMP_TREE" // a pump request's NAME or CDIR leaves the job's root (PumpTreeError)
  | "DISTCC_SERVER_ERR_SANDBOX" // --sandbox bwrap does not work here (SandboxUnavailableError)
  | "DISTCC_SERVER_ERR_JOB_FOLDER" // job folders cannot be created in the temp dir (JobFolderError)
  | "DISTCC_SERVER_ERR_INTERNAL" // a check that cannot fail did (a bug of ours)
  | "DISTCC_SERVER_ERR_HEADER_STORE" // the header cache cannot be opened (HeaderStoreError)
  | "DISTCC_SERVER_ERR_HEADER_REFS"; // a request's header references cannot be right (HeaderRefsError)

/** A setting or start-up problem of distcc-server; `code` is stable, `message` says what to change. */
export class DistccServerError extends DistccError<ServerErrorCode> {}

/**
 * Job folders cannot be created where the settings say (checked at start-up). Not a
 * DistccServerError: its message is prefixed "cannot start: " like any other start-up failure.
 */
export class JobFolderError extends DistccError<ServerErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_SERVER_ERR_JOB_FOLDER", message, options);
  }
}
