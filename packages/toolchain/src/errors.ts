/** The codes of every error this package throws. */
export type ToolchainErrorCode =
  | "DISTCC_ERR_NOT_A_COMPILER" // a probed program is not a gcc or clang driver
  | "DISTCC_ERR_PROBE_FAILED" // a compiler could not be probed
  | "DISTCC_ERR_BAD_TRIPLE_ALIAS" // a triple-alias table has the wrong shape
  | "DISTCC_ERR_RESPONSE_FILE_LOOP" // @file expansion does not end
  | "DISTCC_ERR_NO_INPUT" // the server's rewrite finds no input to replace
  | "DISTCC_ERR_BAD_MT"; // -MT is the last word
