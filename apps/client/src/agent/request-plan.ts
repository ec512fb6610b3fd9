import { toWireIdentity, type CompileRequest, type ProtocolVersion, type RequestExtension } from "@x/distcc-protocol";
import { serverArgv, withPreprocessMode } from "@x/distcc-toolchain";
import { withHeaderRefs } from "./header-refs.js";
import { peerKey, type PlacedJob, type TcpHost } from "./job-context.js";
import type { PeerMemory } from "./peer-memory.js";
import type { ToolchainRewrite } from "./toolchain-rewrite.js";

/** How one job talks to one host: the protocol, the options added, and our extensions if it has them. */
interface RequestPlan {
  version: ProtocolVersion;
  extraArgs: string[];
  /** XREQ: only for a host known to be ours (or one the hosts line marks `,lz4`). */
  extension?: RequestExtension;
  /** Wait for the trailer (or EOF) after the answer: for hosts not known to be a distccd. */
  readTrailer: boolean;
  known: ReturnType<PeerMemory["get"]>;
}

/**
 * What one job sends to `host`. A distccd (or a host not yet known) gets exactly what distcc sends,
 * with the ARM ABI defaults as options; a host known to be ours gets the compiler's identity and LZO
 * bodies (LZ4 when the hosts line says `,lz4`), and no pinning options: its server adds the flags
 * its own compiler needs. `,lz4` in the hosts line means "this host is ours" from the first job.
 */
export function planRequest(host: TcpHost, peers: PeerMemory, rewrite: ToolchainRewrite, pump: boolean): RequestPlan {
  const known = peers.get(peerKey(host));
  const ours = known?.kind === "ours" || host.compression === "lz4";
  const version: ProtocolVersion = pump ? 3 : host.protocol === 1 ? 1 : 2;
  if (!ours) return { version, extraArgs: rewrite.extraArgs, readTrailer: known?.kind !== "distccd", known };
  const features = known?.kind === "ours" ? known.features : ["lz4", "identity"];
  // LZO unless the hosts line asks for `,lz4`: measured, lz4js sends more bytes for more CPU than our LZO
  // (docs/protocol-extensions.md, "LZO or LZ4: measured").
  const compression = host.compression === "lz4" && features.includes("lz4") ? "lz4" : "lzo";
  const identity = rewrite.identity && features.includes("identity") ? toWireIdentity(rewrite.identity) : undefined;
  return {
    version: pump ? 3 : 2,
    extraArgs: identity ? rewrite.targetArgs : rewrite.extraArgs,
    extension: { v: 1, compression, ...(identity ? { identity } : {}) },
    readTrailer: true,
    known,
  };
}

/** The command line the helper runs: the server's form of the job's, under the name it knows the compiler by. */
export function requestArgv(placed: PlacedJob, plan: RequestPlan): string[] {
  const { scan, cpp, rewrite } = placed;
  const argv = cpp
    ? withPreprocessMode(serverArgv(scan, plan.version === 1 ? 1 : 2), cpp.mode)
    : placed.pump.argv.slice();
  argv[0] = rewrite.name;
  argv.push(...plan.extraArgs);
  return argv;
}

/**
 * Whether this request may name headers by digest instead of sending them: only a pump job, only to a
 * server of ours that said it keeps a header cache.
 */
export function usesHeaderCache(placed: PlacedJob, plan: RequestPlan): boolean {
  return (
    placed.pump !== undefined &&
    plan.extension !== undefined &&
    plan.known?.kind === "ours" &&
    plan.known.features.includes("headers")
  );
}

/**
 * The request itself: the preprocessed source (plain), or the files the helper's preprocessor reads
 * (pump), where a header cache that holds some of them (`held`, its digests) gets references instead.
 */
export function buildRequest(
  placed: PlacedJob,
  plan: RequestPlan,
  argv: string[],
  held: ReadonlySet<string> | undefined,
  headerCache: boolean,
): { request: CompileRequest; extension: RequestExtension | undefined } {
  const { ctx, cpp } = placed;
  const pumpRequest = placed.pump && headerCache ? withHeaderRefs(placed.pump, held) : undefined;
  const extension =
    plan.extension && pumpRequest ? { ...plan.extension, headers: pumpRequest.headers } : plan.extension;
  const request: CompileRequest = cpp
    ? { version: plan.version, argv, source: cpp.output }
    : { version: 3, cwd: ctx.cwd, argv, files: pumpRequest?.files ?? placed.pump.files };
  return { request, extension };
}
