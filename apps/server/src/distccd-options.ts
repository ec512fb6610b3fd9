import type { Settings } from "./settings.js";

/**
 * distccd options that are not settings of their own: shorthands for settings, options that mean
 * nothing here, and the ones refused with the reason. Every distccd 3.4 option (spec 8.7, Debian's
 * `distccd --help`) is either one of these or a setting in OPTION_SPECS.
 */

/** Options that set other settings (distccd's meaning). */
export const SHORTHAND_OPTIONS: Readonly<Record<string, Partial<Settings>>> = {
  // distccd: --verbose sets the log level to debug.
  "--verbose": { logLevel: "debug" },
  "-v": { logLevel: "debug" },
  // distccd: --wizard = log to stderr at debug, standalone, in the foreground, no fork.
  "--wizard": { logStderr: true, logLevel: "debug", daemon: true, noDetach: true },
  "-W": { logStderr: true, logLevel: "debug", daemon: true, noDetach: true },
  // distcc's ssh mode runs `distccd --inetd --enable-tcp-insecure`: accepted, but the whitelist
  // stays on (we never run an unknown program; see docs/server.md).
  "--enable-tcp-insecure": { insecureRequested: true },
  "--make-me-a-botnet": { insecureRequested: true },
};

/** distccd debugging switches about its own process model (prefork children, the job FIFO): one
 *  event loop here, so they change nothing. */
export const NO_OP_OPTIONS: ReadonlySet<string> = new Set(["--no-fork", "--no-fifo"]);

const GSSAPI_WHY =
  "GSS-API (Kerberos) authentication is not supported by distcc-server; restrict clients by address with --allow, or use ssh mode (DISTCC_HOSTS=@host) for authenticated, encrypted connections";

/** Refused, with why. `takesValue`: distccd's option has an argument (so `--whitelist FILE` is one option). */
export const REFUSED_OPTIONS: Readonly<Record<string, { takesValue: boolean; why: string }>> = {
  "--auth": { takesValue: false, why: GSSAPI_WHY },
  "--whitelist": { takesValue: true, why: `its FILE lists GSS-API principals. ${GSSAPI_WHY}` },
  "--blacklist": { takesValue: true, why: `its FILE lists GSS-API principals. ${GSSAPI_WHY}` },
  "--show-principal": { takesValue: false, why: GSSAPI_WHY },
};
