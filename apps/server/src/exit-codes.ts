/** distcc's exit codes (src/exitcode.h) that the server puts in a synthetic STAT (`code << 8`). */
export const EXIT_DISTCC_FAILED = 100;
export const EXIT_BAD_ARGUMENTS = 101;
export const EXIT_OUT_OF_MEMORY = 105;
export const EXIT_IO_ERROR = 107;
export const EXIT_PROTOCOL_ERROR = 109;
export const EXIT_COMPILER_MISSING = 110;
export const EXIT_ACCESS_DENIED = 113;
export const EXIT_TIMEOUT = 118;
