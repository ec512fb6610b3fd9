/** The code of every error this package throws. */
export type HostsErrorCode = "DISTCC_ERR_HOSTSPEC";

/** Why a hosts list was refused; distcc 3.4 refuses the whole list on the first one (exit 106). */
import { DistccError } from "@x/distcc-errors";

export type HostSpecProblem =
  | "bad-limit"
  | "bad-port"
  | "missing-host"
  | "unclosed-ipv6"
  | "unknown-option"
  | "cpp-without-compression";

export interface HostSpecErrorDetails {
  problem: HostSpecProblem;
  entry: string;
  column: number;
  line: number;
  lineColumn: number;
  expected: string;
  example: string;
  source?: string;
}

const MAX_SHOWN = 60;

function shown(entry: string): string {
  return entry.length > MAX_SHOWN ? `${entry.slice(0, MAX_SHOWN)}...` : entry;
}

/**
 * A hosts list distcc would refuse. The message names the entry, the position, what was
 * expected and a valid example, e.g.
 * `bad port in 'helper:abc' at column 8: expected a number 1-65535, e.g. helper:3632`.
 */
export class HostSpecError extends DistccError<HostsErrorCode> {
  readonly problem: HostSpecProblem;
  readonly entry: string;
  /** 1-based position within the whole text. */
  readonly column: number;
  /** 1-based line and column within that line (for host files). */
  readonly line: number;
  readonly lineColumn: number;
  readonly expected: string;
  readonly example: string;
  readonly source: string | undefined;

  constructor(what: string, details: HostSpecErrorDetails) {
    const where = details.line > 1 ? `line ${details.line} column ${details.lineColumn}` : `column ${details.column}`;
    const prefix = details.source ? `${details.source}: ` : "";
    super(
      "DISTCC_ERR_HOSTSPEC",
      `${prefix}${what} in '${shown(details.entry)}' at ${where}: expected ${details.expected}, e.g. ${shown(details.example)}`,
    );
    this.problem = details.problem;
    this.entry = details.entry;
    this.column = details.column;
    this.line = details.line;
    this.lineColumn = details.lineColumn;
    this.expected = details.expected;
    this.example = details.example;
    this.source = details.source;
  }
}
