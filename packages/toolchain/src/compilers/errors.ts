import { DistccError } from "@x/distcc-errors";
import type { ToolchainErrorCode } from "../errors.js";

/** Base class of every error thrown by the compilers module; `code` is stable and meant for programs. */
export class CompilerToolchainError extends DistccError<ToolchainErrorCode> {}

/** The program ran but its answers are not those of a gcc or clang driver. */
export class NotACompilerError extends CompilerToolchainError {
  readonly path: string;
  constructor(path: string, why: string) {
    super("DISTCC_ERR_NOT_A_COMPILER", `${path} is not a gcc or clang compiler driver: ${why}`);
    this.path = path;
  }
}

/** The probe could not be completed (missing file, not executable, timeout, crash). */
export class ProbeFailedError extends CompilerToolchainError {
  readonly path: string;
  constructor(path: string, why: string, options?: { cause?: unknown }) {
    super("DISTCC_ERR_PROBE_FAILED", `could not probe compiler ${path}: ${why}`, options);
    this.path = path;
  }
}

/** A triple-alias table from a configuration file does not have the expected shape. */
export class TripleAliasError extends CompilerToolchainError {
  constructor(message: string) {
    super("DISTCC_ERR_BAD_TRIPLE_ALIAS", message);
  }
}
