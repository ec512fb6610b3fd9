/** The codes of every error this package throws. */
export type IncludesErrorCode =
  | "DISTCC_INCLUDES_ERR_ANALYSIS" // the closure cannot be computed (a file unreadable, changed, too many)
  | "DISTCC_INCLUDES_ERR_COMPUTED" // a computed #include has too many possible expansions
  | "DISTCC_INCLUDES_ERR_PATH_LOOP" // too many symlinks resolving a path
  | "DISTCC_INCLUDES_ERR_SEARCH_CHAIN"; // the compiler's search list cannot be read
