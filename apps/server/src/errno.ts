/** The errno code of a Node system error (ENOENT, EACCES, ...); undefined for anything else. */
function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === "string" ? code : undefined;
}

/** True when `err` is a system error with one of `codes`: the failures a caller expects and handles. */
export function isErrno(err: unknown, ...codes: readonly string[]): boolean {
  const code = errnoCode(err);
  return code !== undefined && codes.includes(code);
}
