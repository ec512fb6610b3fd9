/**
 * Whether `err` is a Node system error with one of these `code`s (ENOENT, EACCES, ...). A `catch`
 * names the errors it expects with this and rethrows, or reports, the rest.
 */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === "string" && codes.includes((err as NodeJS.ErrnoException).code!);
}

/** The short form people read: "EACCES: permission denied, open '/x'" -> the message itself, else the value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
