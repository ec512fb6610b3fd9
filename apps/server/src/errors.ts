/** Stable codes of the errors this package throws. */
export type ServerErrorCode =
  | "DISTCC_SERVER_ERR_CONFIG" // a flag, config-file key or option value is invalid
  | "DISTCC_SERVER_ERR_UNSUPPORTED" // a distccd option this server refuses (GSS-API, zeroconf), with why
  | "DISTCC_SERVER_ERR_ALLOW" // an --allow entry is not an IP[/BITS]
  | "DISTCC_SERVER_ERR_LISTEN" // cannot bind the port
  | "DISTCC_SERVER_ERR_CLOSED" // the server was closed
  | "DISTCC_SERVER_ERR_SERVICE"; // `distcc-server service install` cannot put the unit in place

/** The one error class of distcc-server; `code` is stable, `message` says what to change. */
export class DistccServerError extends Error {
  readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DistccServerError";
    this.code = code;
  }
}
