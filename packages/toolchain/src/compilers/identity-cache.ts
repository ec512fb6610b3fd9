import { mkdir, readFile, realpath, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ProbeFailedError } from "./errors.js";
import type { CompilerIdentity } from "./identity.js";
import { locateCompiler, probeCompiler, type ProbeOptions } from "./probe.js";
import { isErrno, LOOKUP_MISSES } from "../errno.js";

const abiSchema = z.object({
  arch: z.string().optional(),
  cpu: z.string().optional(),
  tune: z.string().optional(),
  floatAbi: z.enum(["soft", "softfp", "hard"]).optional(),
  fpu: z.string().optional(),
  mode: z.enum(["arm", "thumb"]).optional(),
  endian: z.enum(["little", "big"]),
  pointerBits: z.union([z.literal(32), z.literal(64)]),
});

/** zod schema of a CompilerIdentity (also usable to check one received from a peer). */
const compilerIdentitySchema = z.object({
  path: z.string().min(1),
  family: z.enum(["gcc", "clang"]),
  kind: z.enum(["c", "c++"]),
  version: z.string().min(1),
  target: z.string().min(1),
  abi: abiSchema,
});

const entrySchema = z.object({
  realpath: z.string(),
  size: z.number(),
  mtimeMs: z.number(),
  identity: compilerIdentitySchema,
});
type CacheEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), entrySchema) });

export interface IdentityCacheOptions extends ProbeOptions {
  /** JSON file the identities persist in (created with its directory on first write). */
  file: string;
  /** Replace the probe (embedders with their own); default probeCompiler. */
  probe?: (absolutePath: string, opts: ProbeOptions) => Promise<CompilerIdentity>;
}

/**
 * Compiler identities on disk, keyed by the path the compiler is called by (clang++ and clang share
 * a binary but are different drivers) plus the size and mtime of the file it resolves to, so that an
 * upgrade or `touch` re-probes. A missing or corrupt file is an empty cache; writes are atomic
 * (temporary file + rename) and merge with what other processes wrote meanwhile.
 */
export class IdentityCache {
  readonly file: string;
  private readonly probeOpts: ProbeOptions;
  private readonly probe: (absolutePath: string, opts: ProbeOptions) => Promise<CompilerIdentity>;
  private entries: Map<string, CacheEntry> | undefined;
  private loading: Promise<Map<string, CacheEntry>> | undefined;
  private readonly inFlight = new Map<string, Promise<CompilerIdentity>>();
  private writeChain: Promise<void> = Promise.resolve();
  /** Number of real probes run by this instance (observability, tests). */
  probes = 0;

  constructor(opts: IdentityCacheOptions) {
    this.file = opts.file;
    this.probeOpts = {};
    if (opts.env !== undefined) this.probeOpts.env = opts.env;
    if (opts.timeoutMs !== undefined) this.probeOpts.timeoutMs = opts.timeoutMs;
    this.probe = opts.probe ?? probeCompiler;
  }

  /** Identity of the compiler at `pathOrName` (bare names are looked up on the env's PATH); probes on a miss. */
  async get(pathOrName: string): Promise<CompilerIdentity> {
    const abs = await locateCompiler(pathOrName, this.probeOpts.env ?? process.env);
    const pending = this.inFlight.get(abs);
    if (pending) return pending;
    const p = this.lookup(abs).finally(() => this.inFlight.delete(abs));
    this.inFlight.set(abs, p);
    return p;
  }

  private async lookup(abs: string): Promise<CompilerIdentity> {
    const entries = await this.load();
    let st: Awaited<ReturnType<typeof stat>>;
    let real: string;
    try {
      [st, real] = await Promise.all([stat(abs), realpath(abs)]);
    } catch (err) {
      throw new ProbeFailedError(abs, `cannot stat it (${(err as Error).message})`, { cause: err });
    }
    const hit = entries.get(abs);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.realpath === real) return hit.identity;
    this.probes++;
    const identity = await this.probe(abs, this.probeOpts);
    const entry: CacheEntry = { realpath: real, size: st.size, mtimeMs: st.mtimeMs, identity };
    entries.set(abs, entry);
    await this.persist(abs, entry);
    return identity;
  }

  private load(): Promise<Map<string, CacheEntry>> {
    if (this.entries) return Promise.resolve(this.entries);
    this.loading ??= readCacheFile(this.file).then((m) => (this.entries = m));
    return this.loading;
  }

  private persist(key: string, entry: CacheEntry): Promise<void> {
    const write = async (): Promise<void> => {
      const onDisk = await readCacheFile(this.file);
      onDisk.set(key, entry);
      for (const [k, v] of this.entries ?? []) if (!onDisk.has(k)) onDisk.set(k, v);
      const body = JSON.stringify({ version: 1, entries: Object.fromEntries(onDisk) }, null, 1);
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, body);
      await rename(tmp, this.file);
    };
    // A cache that cannot be written still answers; the next process just probes again.
    this.writeChain = this.writeChain.then(write).catch(() => undefined);
    return this.writeChain;
  }
}

async function readCacheFile(file: string): Promise<Map<string, CacheEntry>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if (isErrno(error, ...LOOKUP_MISSES)) return new Map(); // no cache yet: every compiler is probed
    throw error;
  }
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    return parsed.success ? new Map(Object.entries(parsed.data.entries)) : new Map();
  } catch (error) {
    // A torn or hand-edited cache is only a cache: start again. Anything else is a bug.
    if (error instanceof SyntaxError) return new Map();
    throw error;
  }
}
