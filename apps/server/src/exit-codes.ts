/** distcc's exit codes (src/exitcode.h): the CLI's exit statuses and, `code << 8`, a synthetic STAT. */
export const EXIT_SUCCESS = 0;
export const EXIT_DISTCC_FAILED = 100;
export const EXIT_BAD_ARGUMENTS = 101;
export const EXIT_BIND_FAILED = 102;
export const EXIT_OUT_OF_MEMORY = 105;
export const EXIT_IO_ERROR = 107;
export const EXIT_PROTOCOL_ERROR = 109;
export const EXIT_COMPILER_MISSING = 110;
export const EXIT_SETUID_FAILED = 112;
export const EXIT_ACCESS_DENIED = 113;
export const EXIT_BUSY = 114;
export const EXIT_TIMEOUT = 118;
