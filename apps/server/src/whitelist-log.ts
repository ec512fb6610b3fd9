import { CmdListWhitelist } from "./cmdlist-whitelist.js";
import type { Logger } from "./logger.js";
import type { CompilerWhitelist } from "./whitelist.js";

/**
 * Says at start which compilers this server will run: one concise info line (each toolchain once),
 * and at debug one line per toolchain with every name that reaches it. An admin wondering why a
 * job is refused looks here first.
 */
export function logWhitelist(logger: Logger, whitelist: CompilerWhitelist): void {
  if (whitelist instanceof CmdListWhitelist) {
    logger.log("info", "main", `compilers (DISTCC_CMDLIST): ${whitelist.entries.join(", ") || "none"}`);
    return;
  }
  const compilers = whitelist.list?.();
  if (!compilers) return;
  if (compilers.length === 0) {
    logger.log(
      "warning",
      "main",
      "no compilers found: every job will be refused (install gcc or clang, or see --compiler-dir and DISTCCD_PATH)",
    );
    return;
  }
  const shown = compilers.map(
    ({ identity: id, names }) =>
      `${id.family} ${id.version} ${id.kind} for ${id.target} (${names.length} name${names.length === 1 ? "" : "s"})`,
  );
  logger.log(
    "info",
    "main",
    `${compilers.length} compiler${compilers.length === 1 ? "" : "s"} found: ${shown.join("; ")}`,
  );
  if (!logger.enabled("debug")) return;
  for (const { identity: id, names } of compilers) {
    logger.log("debug", "main", `compiler ${id.family} ${id.version} ${id.kind} for ${id.target}: ${names.join(", ")}`);
  }
}
