/**
 * distcc's exit codes (src/exitcode.h; spec: docs/spec/distcc-wire.md, "Exit codes"): a client's or a
 * server's exit status, and, shifted left by 8, the STAT a server sends for a job it could not run.
 * A compiler's own status passes through unchanged; distcc's own failures are 100-127.
 */
export const EXIT_SUCCESS = 0;
export const EXIT_DISTCC_FAILED = 100;
export const EXIT_BAD_ARGUMENTS = 101;
export const EXIT_BIND_FAILED = 102;
export const EXIT_CONNECT_FAILED = 103;
export const EXIT_OUT_OF_MEMORY = 105;
export const EXIT_BAD_HOSTSPEC = 106;
export const EXIT_IO_ERROR = 107;
export const EXIT_TRUNCATED = 108;
export const EXIT_PROTOCOL_ERROR = 109;
export const EXIT_COMPILER_MISSING = 110;
export const EXIT_RECURSION = 111;
export const EXIT_SETUID_FAILED = 112;
export const EXIT_ACCESS_DENIED = 113;
export const EXIT_BUSY = 114;
export const EXIT_NO_SUCH_FILE = 115;
export const EXIT_NO_HOSTS = 116;
export const EXIT_TIMEOUT = 118;
