import { wireCompilerName, type CompilerIdentity, type IdentityCache } from "@x/distcc-toolchain";
import { armAbiPinning } from "./abi-pinning.js";

/** What the client sends for a compiler, and what it must get back. */
export interface ToolchainRewrite {
  /** argv[0] on the wire. */
  name: string;
  /** Words to add after the wire argv for any peer: targetArgs then pinningArgs. */
  extraArgs: string[];
  /** clang's `-target <triple>` (also sent to our servers). */
  targetArgs: string[];
  /**
   * The ARM ABI defaults as options (abi-pinning.ts). Only for peers that cannot take the identity:
   * a server of ours gets the identity itself (XREQ) and adds the flags its own compiler needs.
   */
  pinningArgs: string[];
  /** What the local compiler is (undefined when it could not be probed): returned objects are checked against it. */
  identity?: CompilerIdentity;
  /** Said in verbose mode: what was renamed, or why the compiler could not be identified. */
  note?: string;
}

/**
 * Issue 6 item 5: plain gcc/cc/g++/c++ become the compiler's real fully qualified name
 * (`arm-linux-gnueabihf-gcc`, from its probed identity, cached on disk under DISTCC_DIR) and a clang
 * gets `-target <triple>` unless the command line names one. This is what makes a real distccd with
 * properly named cross compilers run the right one, and it never lets a helper's native `gcc` compile
 * for a foreign client. For 32-bit ARM the compiler's ABI defaults travel as explicit options
 * (abi-pinning.ts). A name given as a path is sent as typed (distccd refuses paths anyway).
 */
export async function rewriteForServer(
  identities: Pick<IdentityCache, "get">,
  compilerPath: string,
  requested: string,
  argv: readonly string[],
  opts: { noRewrite: boolean },
): Promise<ToolchainRewrite> {
  let identity: CompilerIdentity;
  try {
    identity = await identities.get(compilerPath);
  } catch (err) {
    return {
      name: requested,
      extraArgs: [],
      targetArgs: [],
      pinningArgs: [],
      note: `cannot identify ${compilerPath}: ${(err as Error).message}`,
    };
  }
  if (opts.noRewrite || requested.includes("/"))
    return { name: requested, extraArgs: [], targetArgs: [], pinningArgs: [], identity };
  const wire = wireCompilerName(requested, identity, argv.slice(1));
  const pinningArgs = armAbiPinning(identity, argv.slice(1));
  const extraArgs = [...wire.extraArgs, ...pinningArgs];
  const notes: string[] = [];
  if (wire.name !== requested)
    notes.push(
      `re-writing call to '${requested}' to '${wire.name}' (it is a ${identity.family} for ${identity.target})`,
    );
  // What is added is said per send (remote-attempt.ts): our servers get the identity instead of the pinning.
  return {
    name: wire.name,
    extraArgs,
    targetArgs: [...wire.extraArgs],
    pinningArgs,
    identity,
    ...(notes.length ? { note: notes.join("; ") } : {}),
  };
}
