import { availableParallelism } from "node:os";
import path from "node:path";
import { commandListFromEnv, readCommandList, type CommandList } from "./command-list.js";
import { parseCompilerName } from "./compiler-names.js";
import type { CompilerIdentity } from "./identity.js";
import type { DiscoverOptions, RejectedCandidate, ToolchainIndexEntry } from "./index-types.js";
import { splitPathList } from "./locate.js";
import { probeCompiler } from "./probe.js";
import { triplesMatch, type TripleAliases } from "./triples.js";
import {
  crossToolchainDirs,
  masqueradeNames,
  resolveExecutable,
  scanForCompilers,
  type FoundExecutable,
} from "./scan-dirs.js";

type Found = FoundExecutable & { via: "name" | "masquerade" };

export interface DiscoveredCompilers {
  entries: ToolchainIndexEntry[];
  rejected: RejectedCandidate[];
  /** Set when DISTCC_CMDLIST decides (then nothing was searched). */
  commandList?: CommandList;
}

/** Find this machine's compilers (or the DISTCC_CMDLIST ones) and probe them. */
export async function discoverCompilers(opts: DiscoverOptions = {}): Promise<DiscoveredCompilers> {
  const env = opts.env ?? process.env;
  const cmdSource = opts.commandList === undefined ? commandListFromEnv(env) : (opts.commandList ?? undefined);
  if (cmdSource) return discoverCommandList(await readCommandList(cmdSource), opts, env);
  const pathDirs = opts.pathDirs ?? splitPathList(env.DISTCCD_PATH ?? env.PATH);
  const dirs = [...pathDirs, ...(opts.extraDirs ?? [])];
  if (opts.crossDirs ?? true) dirs.push(...(await crossToolchainDirs(env)));
  const masqDir = opts.masqueradeDir === undefined ? "/usr/lib/distcc" : opts.masqueradeDir;
  // The masquerade directory holds links to distcc: never search it for compilers.
  const found: Found[] = (await scanForCompilers(dirs, masqDir ? [masqDir] : [])).map((f) => ({
    ...f,
    via: "name" as const,
  }));
  if (masqDir) {
    const known = new Set(found.map((f) => f.name));
    const searchDirs = dirs.filter((d) => path.resolve(d) !== path.resolve(masqDir));
    for (const name of await masqueradeNames(masqDir)) {
      if (known.has(name) || name.includes("/")) continue;
      for (const dir of searchDirs) {
        const file = path.join(dir, name);
        const real = await resolveExecutable(file);
        if (real) {
          found.push({ name, path: file, realpath: real, via: "masquerade" });
          break;
        }
      }
    }
  }
  return probeAll(found, opts, env);
}

async function discoverCommandList(
  list: CommandList,
  opts: DiscoverOptions,
  env: NodeJS.ProcessEnv,
): Promise<DiscoveredCompilers> {
  const found: Found[] = [];
  const missing: RejectedCandidate[] = [];
  for (const p of list.paths) {
    const real = path.isAbsolute(p) ? await resolveExecutable(p) : undefined;
    if (real) found.push({ name: p, path: p, realpath: real, via: "name" });
    else
      missing.push({
        name: p,
        path: p,
        code: "DISTCC_ERR_PROBE_FAILED",
        reason: `${p}: listed in DISTCC_CMDLIST but not an executable file at an absolute path`,
      });
  }
  const { entries, rejected } = await probeAll(found, opts, env);
  return { entries, rejected: [...missing, ...rejected], commandList: list };
}

/** Probe the found executables (bounded parallelism, one probe per binary and driver language). */
async function probeAll(
  found: readonly Found[],
  opts: DiscoverOptions,
  env: NodeJS.ProcessEnv,
): Promise<DiscoveredCompilers> {
  const probeOne = (file: string): Promise<CompilerIdentity> => {
    if (opts.cache) return opts.cache.get(file);
    const probeOpts: { env: NodeJS.ProcessEnv; timeoutMs?: number } = { env };
    if (opts.timeoutMs !== undefined) probeOpts.timeoutMs = opts.timeoutMs;
    return probeCompiler(file, probeOpts);
  };
  // One probe per binary and what its name asks of it: gcc and cc (-> the same gcc-12) are one probe,
  // but clang/clang++ (one binary reading argv[0]) or ccache links named after several compilers are not.
  const classOf = (f: FoundExecutable): string => {
    const n = parseCompilerName(f.name);
    // A real gcc binary answers the same whatever name it is called by.
    if (n?.family === "gcc" && parseCompilerName(path.basename(f.realpath))?.family === "gcc") return f.realpath;
    return `${f.realpath}\0${n ? `${n.family}\0${n.kind}\0${n.triple ?? ""}\0${n.version ?? ""}` : f.name}`;
  };
  const probes = new Map<string, Promise<CompilerIdentity>>();
  const limit = Math.max(1, opts.concurrency ?? Math.min(4, availableParallelism()));
  const queue = found.map((f) => ({ f, key: classOf(f) }));
  const results = new Map<FoundExecutable, CompilerIdentity | Error>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const item = queue[next++];
      if (!item) break;
      let p = probes.get(item.key);
      if (!p) {
        p = probeOne(item.f.path);
        probes.set(item.key, p);
      }
      try {
        results.set(item.f, await p);
      } catch (err) {
        results.set(item.f, err instanceof Error ? err : new Error(String(err)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));

  const entries: ToolchainIndexEntry[] = [];
  const rejected: RejectedCandidate[] = [];
  for (const f of found) {
    const r = results.get(f);
    if (r === undefined) continue;
    if (r instanceof Error) {
      const code = (r as { code?: unknown }).code;
      rejected.push({
        name: f.name,
        path: f.path,
        code: typeof code === "string" ? code : "DISTCC_ERR_PROBE_FAILED",
        reason: r.message,
      });
    } else {
      const lie = nameContradicts(f.name, r, opts.aliases);
      if (lie)
        rejected.push({ name: f.name, path: f.path, code: "DISTCC_ERR_NAME_MISMATCH", reason: `${f.path}: ${lie}` });
      else entries.push({ name: f.name, executable: f.path, identity: r, via: f.via });
    }
  }
  return { entries, rejected };
}

/**
 * Why a name must not be trusted for what it says (a link `arm-linux-gnueabihf-gcc -> gcc` compiles
 * for x86_64), or undefined. Such a name is not whitelisted: a request for it is resolved by identity,
 * so it reaches a compiler that really produces that target, or is refused.
 */
function nameContradicts(name: string, identity: CompilerIdentity, aliases?: TripleAliases): string | undefined {
  const n = parseCompilerName(path.basename(name));
  if (!n) return undefined;
  if (n.triple !== undefined && !triplesMatch(n.triple, identity.target, aliases)) {
    return `named for ${n.triple} but compiles for ${identity.target}`;
  }
  if (n.kind !== identity.kind)
    return `named as a ${n.kind === "c++" ? "C++" : "C"} driver but is the ${identity.kind === "c++" ? "C++" : "C"} driver`;
  return undefined;
}
