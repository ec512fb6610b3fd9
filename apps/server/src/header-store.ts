import { DistccError } from "@x/distcc-errors";
import type { ServerErrorCode } from "./errors.js";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, rmSync, statSync, chmodSync, lstatSync } from "node:fs";
import { mkdir, readFile, rename, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The header cache cannot be opened (a directory of another user, a file in its place...). */
export class HeaderStoreError extends DistccError<ServerErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super("DISTCC_SERVER_ERR_HEADER_STORE", message, options);
  }
}

/** SHA-256 of `content`, lower-case hex: the only key the store knows. */
export function contentDigest(content: Uint8Array): string {
  return createHash("sha256").update(content).digest("hex");
}

const DIGEST = /^[0-9a-f]{64}$/;

export interface HeaderStoreOptions {
  /** Bytes of content kept at most (least recently used goes first). */
  maxBytes: number;
  /** Keep the contents in this directory (made 0700), across jobs and restarts; else in memory. */
  dir?: string;
  /** Told why a disk operation that changes nothing for a job failed (a touch, an unlink). */
  onWarning?: (message: string) => void;
}

/**
 * The server's header cache: file contents keyed by the SHA-256 the store computes itself on
 * `put`, so a client can only ever name content it (or another client) really sent; it cannot put
 * other bytes under someone else's key. Bounded in bytes, least recently used first out. Shared by
 * all clients and jobs of a server.
 *
 * On disk each entry is `DIR/ab/abcdef...` (two hex digits of fan-out), written to a temporary name
 * and renamed, so a crash never leaves a torn entry under a digest. The recency order survives a
 * restart through the files' mtimes (touched on use, at most once a minute per entry).
 */
export class HeaderStore {
  /** digest -> entry; the Map's order is the recency order (oldest first). */
  readonly #entries = new Map<string, { size: number; content?: Uint8Array; touchedAt: number }>();
  #bytes = 0;
  /** Fan-out directories known to exist. */
  readonly #subdirs = new Set<string>();
  readonly maxBytes: number;
  readonly dir: string | undefined;
  readonly #warn: (message: string) => void;

  private constructor(options: HeaderStoreOptions) {
    this.maxBytes = options.maxBytes;
    this.dir = options.dir;
    this.#warn = options.onWarning ?? (() => undefined);
  }

  /** Opens a store; with `dir`, makes it (0700) or checks and loads the one a previous run left. */
  static open(options: HeaderStoreOptions): HeaderStore {
    const store = new HeaderStore(options);
    if (options.dir) store.#load(options.dir);
    return store;
  }

  /** Bytes of content held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  has(digest: string): boolean {
    return this.#entries.has(digest);
  }

  /**
   * The size of the content stored under `digest`, or undefined; reads nothing and leaves the
   * recency alone. A job checks and charges this before `get` reads the content from disk.
   */
  sizeOf(digest: string): number | undefined {
    return this.#entries.get(digest)?.size;
  }

  /**
   * The content stored under `digest` (and it becomes the most recently used), or undefined. On
   * disk every call reads a fresh buffer: a caller that needs the same digest twice keeps the
   * first (applyHeaderRefs reads each digest once per job).
   */
  async get(digest: string): Promise<Uint8Array | undefined> {
    const entry = this.#entries.get(digest);
    if (!entry) return undefined;
    this.#entries.delete(digest);
    this.#entries.set(digest, entry);
    if (entry.content) return entry.content;
    const path = this.#path(digest);
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (err) {
      // Removed behind our back (or evicted while we waited): a miss, never an error for the job.
      this.#forget(digest);
      this.#warn(`header cache: cannot read ${path}: ${(err as Error).message}`);
      return undefined;
    }
    if (content.length !== entry.size) {
      this.#forget(digest);
      return undefined;
    }
    const now = Date.now();
    if (now - entry.touchedAt > 60_000) {
      entry.touchedAt = now;
      utimes(path, now / 1000, now / 1000).catch((err: unknown) =>
        this.#warn(`header cache: cannot touch ${path}: ${(err as Error).message}`),
      );
    }
    return content;
  }

  /** Stores `content` under the digest computed here and returns it. Content bigger than the store is not kept. */
  async put(content: Uint8Array): Promise<string> {
    const digest = contentDigest(content);
    const known = this.#entries.get(digest);
    if (known) {
      this.#entries.delete(digest);
      this.#entries.set(digest, known);
      return digest;
    }
    if (content.length > this.maxBytes) return digest;
    if (this.dir) {
      const path = this.#path(digest);
      const sub = join(this.dir, digest.slice(0, 2));
      const tmp = join(sub, `.tmp-${randomBytes(6).toString("hex")}`);
      try {
        if (!this.#subdirs.has(sub)) {
          await mkdir(sub, { mode: 0o700, recursive: true });
          this.#subdirs.add(sub);
        }
        await writeFile(tmp, content, { mode: 0o600 });
        await rename(tmp, path);
      } catch (err) {
        await unlink(tmp).catch(() => undefined); // nothing to remove when the write itself failed
        this.#warn(`header cache: cannot store ${path}: ${(err as Error).message}`);
        return digest;
      }
      // Another job may have stored the same content meanwhile: count it once.
      if (this.#entries.has(digest)) return digest;
      this.#add(digest, { size: content.length, touchedAt: Date.now() });
    } else {
      this.#add(digest, { size: content.length, content, touchedAt: 0 });
    }
    return digest;
  }

  #add(digest: string, entry: { size: number; content?: Uint8Array; touchedAt: number }): void {
    this.#entries.set(digest, entry);
    this.#bytes += entry.size;
    for (const [old] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#evict(old);
    }
  }

  #evict(digest: string): void {
    this.#forget(digest);
    if (!this.dir) return;
    const path = this.#path(digest);
    unlink(path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT")
        this.#warn(`header cache: cannot remove ${path}: ${(err as Error).message}`);
    });
  }

  #forget(digest: string): void {
    const entry = this.#entries.get(digest);
    if (!entry) return;
    this.#entries.delete(digest);
    this.#bytes -= entry.size;
  }

  #path(digest: string): string {
    return join(this.dir as string, digest.slice(0, 2), digest);
  }

  /** Makes or checks `dir` (ours, 0700) and indexes what a previous run stored, oldest first. */
  #load(dir: string): void {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      if (!st.isDirectory()) throw new HeaderStoreError(`--cache-dir ${dir} is not a directory`);
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid)
        throw new HeaderStoreError(
          `--cache-dir ${dir} belongs to uid ${st.uid}, not to this server's user (uid ${uid})`,
        );
      // Other users must neither read what clients sent nor plant entries.
      if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
      const found: { digest: string; size: number; mtimeMs: number }[] = [];
      for (const fan of readdirSync(dir)) {
        const sub = join(dir, fan);
        if (!/^[0-9a-f]{2}$/.test(fan) || !lstatSync(sub).isDirectory()) continue;
        this.#subdirs.add(sub);
        for (const name of readdirSync(sub)) {
          const path = join(sub, name);
          if (!DIGEST.test(name) || !name.startsWith(sub.slice(-2))) {
            // A temporary file of a run that died mid-write, or anything else: not an entry.
            rmSync(path, { force: true, recursive: true });
            continue;
          }
          const s = statSync(path);
          if (s.isFile()) found.push({ digest: name, size: s.size, mtimeMs: s.mtimeMs });
        }
      }
      found.sort((a, b) => a.mtimeMs - b.mtimeMs);
      for (const f of found) this.#add(f.digest, { size: f.size, touchedAt: f.mtimeMs });
    } catch (err) {
      if (err instanceof HeaderStoreError) throw err;
      throw new HeaderStoreError(`cannot use --cache-dir ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }
}
