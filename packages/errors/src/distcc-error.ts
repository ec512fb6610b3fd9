/**
 * The base of every error the distcc packages and apps throw. `name` is the throwing class's own
 * (a stack trace or `String(err)` says which error it is, with no `name` to repeat in each class);
 * `code` is stable and meant for programs, from the throwing package's own union of codes; `message`
 * is for people and says what to change.
 *
 * Codes follow one scheme: `DISTCC_ERR_*` for the wire-level packages (protocol, hosts, toolchain:
 * the kinds of failure distcc itself has), `DISTCC_<AREA>_ERR_*` for the others (`SCHED`,
 * `INCLUDES`, `CLIENT`, `SERVER`). A code, once published, is not renamed.
 */
export class DistccError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    // The subclass's name as written. A bundler keeps it unless two classes of one bundle share a
    // name (esbuild would rename one, "X2"), so error class names stay unique across the packages.
    this.name = new.target.name;
    this.code = code;
  }
}
