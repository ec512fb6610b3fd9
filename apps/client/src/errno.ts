/**
 * Whether `err` is a Node system error with one of these `code`s (ENOENT, EACCES, ...). A `catch`
 * names the errors it expects with this and rethrows, or reports, the rest.
 */
export function isErrno(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return (
    err instanceof Error &&
    typeof (err as NodeJS.ErrnoException).code === "string" &&
    codes.includes((err as NodeJS.ErrnoException).code!)
  );
}

/** The short form people read: "EACCES: permission denied, open '/x'" -> the message itself, else the value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a lookup answers when the thing is not there or not ours to use (a PATH entry, a file probed
 * with access or stat): the search goes on, as execvp's does. Anything else (EIO, EMFILE) is a real
 * error and is not one of these.
 */
export function isLookupMiss(err: unknown): boolean {
  return isErrno(err, "ENOENT", "ENOTDIR", "EACCES", "ELOOP", "ENAMETOOLONG");
}
