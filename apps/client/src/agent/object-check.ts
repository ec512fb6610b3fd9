import { checkObjectTarget, type CompilerIdentity } from "@x/distcc-toolchain";

/**
 * Issue 6 item 7: is a returned object what the local compiler would have produced (ELF machine,
 * class, byte order, ARM float convention)? Only `-c` output is an object; `-S` gives assembly,
 * which has no header to check. Without an identity there is nothing to compare with.
 */
export function checkReturnedObject(
  object: Uint8Array,
  identity: CompilerIdentity | undefined,
  mode: "compile" | "assemble",
  args: readonly string[],
): { ok: true } | { ok: false; reason: string } {
  // clang's -emit-llvm writes bitcode, not ELF.
  if (!identity || mode !== "compile" || args.includes("-emit-llvm")) return { ok: true };
  const verdict = checkObjectTarget(object, identity, args);
  if (verdict.ok) return verdict;
  return { ok: false, reason: `it returned a wrong object for ${identity.target}: ${verdict.reason}` };
}
