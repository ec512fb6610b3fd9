/** True when `err` is a system error with one of `codes`: the failures a caller expects and handles. */
export function isErrno(err: unknown, ...codes: readonly string[]): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === "string" && codes.includes(code);
}

/** A path that is not there, or that this process may not look at: for a lookup, a miss. */
export const LOOKUP_MISSES = ["ENOENT", "ENOTDIR", "EACCES", "ELOOP", "ENAMETOOLONG", "EPERM"] as const;
