// Pump mode (protocol 3, `,cpp` hosts): instead of preprocessing here, send the source and every
// file its preprocessing may read, and let the helper preprocess. The include analysis replaces
// distcc's include server (no `pump` wrapper, no Python, caches kept across jobs in this agent).
//
// Unlike distcc's include server, the compiler's own system headers are sent too, and the command
// gets one `-isystem` per directory of this machine's chain (in order): the helper's compiler then
// reads this machine's headers, whatever its own are (a cross compiler on an x86 helper for an ARM
// client, another libc version). Both distccd and our server re-root those absolute directories
// under the job's folder (spec 8.4).
import { DistccError } from "@x/distcc-errors";
import type { ClientErrorCode } from "../errors.js";
import type { PumpEntry } from "@x/distcc-protocol";
import { lzo1xCompress } from "@x/distcc-protocol";
import { IncludeAnalyzer, type IncludeClosure, type ReadFile } from "@x/distcc-includes";
import { HeldHeaders } from "./header-refs.js";
import { readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";

/** What one pump-mode job sends. */
export interface PumpPlan {
  /** The command for the helper (argv[0] still the client's compiler name). */
  argv: string[];
  /** NFIL entries: files (pre-compressed), links, directory placeholders. */
  files: PumpEntry[];
  /** Uncompressed bytes of the files (for the scheduler's size estimate). */
  inputBytes: number;
  /**
   * For the header cache of a server of ours: `files` indexes of the set (every non-empty file but
   * the source, in order), their SHA-256 digests, and the digest of the set's manifest.
   */
  headerSet: { members: number[]; digests: string[]; set: string } | undefined;
}

export type PumpPlanResult = { ok: true; plan: PumpPlan } | { ok: false; reason: string };

/** distcc's placeholder name: an empty file that makes the server create its directory. */
const FORCING_PLACEHOLDER = "forcing_technique_271828";

interface CompressedFile {
  ino: number;
  size: number;
  mtimeMs: number;
  compressed: Uint8Array;
  /** SHA-256 of the content, hex: its key in a server's header cache. */
  digest: string;
}

/**
 * Each file's LZO form, kept by real path and checked against its inode, size and mtime: a build
 * compresses each header once, not once per compile. Bounded in bytes (oldest first out).
 */
class CompressedFiles {
  readonly #files = new Map<string, CompressedFile>();
  #bytes = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  get(file: ReadFile): { compressed: Uint8Array; digest: string } {
    const hit = this.#files.get(file.real);
    if (hit && hit.ino === file.ino && hit.size === file.size && hit.mtimeMs === file.mtimeMs) {
      // Refresh its place: the map's order is the eviction order.
      this.#files.delete(file.real);
      this.#files.set(file.real, hit);
      return hit;
    }
    const content = readFileSync(file.real);
    const after = statSync(file.real);
    if (after.size !== content.length || after.mtimeMs !== file.mtimeMs || after.ino !== file.ino) {
      throw new PumpFileChanged(`${file.spelling} changed while it was read`);
    }
    return this.put(file, content);
  }

  /**
   * Keeps `content`, read (and checked against the stats in `file`) by the include analysis: a new
   * header is read once per build, not once for its directives and again to send it.
   */
  put(file: ReadFile, content: Buffer): { compressed: Uint8Array; digest: string } {
    const hit = this.#files.get(file.real);
    if (hit) this.#drop(file.real, hit);
    const compressed = lzo1xCompress(content);
    const entry = {
      ino: file.ino,
      size: file.size,
      mtimeMs: file.mtimeMs,
      compressed,
      digest: createHash("sha256").update(content).digest("hex"),
    };
    this.#files.set(file.real, entry);
    this.#bytes += compressed.length;
    for (const [path, old] of this.#files) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(path, old);
    }
    return entry;
  }

  #drop(path: string, entry: CompressedFile): void {
    this.#files.delete(path);
    this.#bytes -= entry.compressed.length;
  }
}

class PumpFileChanged extends DistccError<ClientErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_CLIENT_ERR_PUMP_FILE_CHANGED", message, options);
  }
}

/** The per-agent state of pump mode: the analysis caches and the compressed files. */
export class PumpState {
  readonly files = new CompressedFiles();
  readonly analyzer = new IncludeAnalyzer({ onRead: (file, content) => this.files.put(file, content) });
  /** Which header contents and sets each server of ours confirmed it holds. */
  readonly held = new HeldHeaders();
  /** Remote failures of pump jobs that then compiled here (DISTCC_MAX_DISCREPANCY). */
  discrepancies = 0;
}

/**
 * The helper's command: the user's, then `-isystem DIR` for each directory of this machine's own
 * chain, in order. They come after the user's `-isystem`s and before the helper's own system
 * directories (gcc's order), so every lookup finds this machine's copy first; the helper's own
 * headers stay only as the chain's tail, where a lookup that fails here would also fail there.
 * (`-nostdinc` would cut that tail, but it also stops gcc's implicit `<stdc-predef.h>`, and an
 * explicit `-include` of it lists it twice in the dependency file.)
 */
function pumpArgv(argv: readonly string[], closure: IncludeClosure): string[] {
  const out = [...argv];
  for (const dir of closure.chain.system) out.push("-isystem", dir);
  return out;
}

/** Plans a pump job, or says why this job must be preprocessed here instead. */
export async function planPump(
  state: PumpState,
  request: {
    /** The user's command (what is analysed). */
    argv: readonly string[];
    /** The command for the helper, before the system directories are made explicit. */
    sendArgv: readonly string[];
    cwd: string;
    env: Record<string, string | undefined>;
    compiler: string;
    family?: "gcc" | "clang";
  },
): Promise<PumpPlanResult> {
  const result = await state.analyzer.analyze({
    argv: request.argv,
    cwd: request.cwd,
    env: request.env,
    compiler: request.compiler,
    ...(request.family ? { family: request.family } : {}),
  });
  if (!result.ok) return result;
  const closure = result.closure;
  const files: PumpEntry[] = [];
  let inputBytes = 0;
  const members: number[] = [];
  const digests: string[] = [];
  try {
    for (const file of closure.files) {
      const { compressed, digest } = state.files.get(file);
      // The source (first) changes from build to build: it is never part of the set.
      if (files.length > 0 && file.size > 0 && !file.real.includes("\n")) {
        members.push(files.length);
        digests.push(digest);
      }
      files.push({ kind: "file", name: file.real, content: new Uint8Array(0), compressed });
      inputBytes += file.size;
    }
  } catch (error) {
    if (error instanceof PumpFileChanged) return { ok: false, reason: error.message };
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "EACCES" || code === "EISDIR")
      return { ok: false, reason: `cannot read an included file: ${(error as Error).message}` };
    throw error;
  }
  for (const [at, target] of closure.links) files.push({ kind: "link", name: at, target });
  for (const dir of closure.climbed)
    files.push({
      kind: "file",
      name: `${dir}/${FORCING_PLACEHOLDER}`,
      content: new Uint8Array(0),
      compressed: new Uint8Array(0),
    });
  const argv = pumpArgv(request.sendArgv, closure);
  const headerSet = members.length > 0 ? headerSetOf(members, digests, files) : undefined;
  return { ok: true, plan: { argv, files, inputBytes, headerSet } };
}

/**
 * A plan's header set. Its digest (SHA-256 of one `DIGEST PATH` line per member) is computed when a
 * header cache first asks for it: a job for a real distccd never does.
 */
function headerSetOf(members: number[], digests: string[], files: PumpEntry[]): NonNullable<PumpPlan["headerSet"]> {
  let set: string | undefined;
  return {
    members,
    digests,
    get set(): string {
      set ??= createHash("sha256")
        .update(members.map((m, i) => `${digests[i]} ${files[m]!.name}\n`).join(""))
        .digest("hex");
      return set;
    },
  };
}
