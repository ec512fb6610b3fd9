import { DistccError } from "@x/distcc-errors";
import type { ServerErrorCode } from "./errors.js";
import type { CompileRequest, HeaderRefs, PumpEntry } from "@x/distcc-protocol";
import { contentDigest, type HeaderStore } from "./header-store.js";
import type { BudgetShare } from "./memory-budget.js";

/** A request's header references that cannot be right (not a memory miss: a broken or hostile client). */
export class HeaderRefsError extends DistccError<ServerErrorCode> {
  constructor(message: string) {
    super("DISTCC_SERVER_ERR_HEADER_REFS", message);
  }
}

export type HeaderRefsOutcome =
  /** `request.files` now holds every file with its content; `set` names this job's file set, stored. */
  | { kind: "ready"; set?: string }
  /** Some references are not (or no longer) held here: the client must send this job again with bodies. */
  | { kind: "missing"; digests: string[] }
  /** More content than the server's request memory allows at the moment. */
  | { kind: "no-memory" };

/**
 * The manifest of a file set, as both ends compute it: one line `DIGEST NAME\n` per file, in the
 * request's order. Its own SHA-256 names the set; it is stored like any content.
 */
export function manifestText(entries: readonly { digest: string; name: string }[]): string {
  let text = "";
  for (const e of entries) text += `${e.digest} ${e.name}\n`;
  return text;
}

/** One manifest line at most: a digest, a space, a name of `maxNameLength` bytes, a newline. */
const lineBytes = (maxNameLength: number): number => 64 + 1 + maxNameLength + 1;

/**
 * The lines of a manifest, or a reason it is not one. At most `maxLines` lines, each name at most
 * `maxNameLength` long and `maxDepth` components deep: what one request could have carried.
 */
function parseManifest(
  bytes: Uint8Array,
  bounds: HeaderRefsBounds,
  maxLines: number,
): { digest: string; name: string }[] | string {
  const out: { digest: string; name: string }[] = [];
  const text = Buffer.from(bytes).toString("utf8");
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf("\n", at);
    const line = text.slice(at, end < 0 ? text.length : end);
    at = end < 0 ? text.length : end + 1;
    if (line === "") continue;
    if (line.length < 66 || line[64] !== " " || !/^[0-9a-f]{64}$/.test(line.slice(0, 64))) return "is not a manifest";
    if (out.length >= maxLines)
      return `names more than ${maxLines} files (with the request's own, at most ${bounds.maxFiles})`;
    const name = line.slice(65);
    if (Buffer.byteLength(name) > bounds.maxNameLength) return `names a file longer than ${bounds.maxNameLength} bytes`;
    let depth = 0;
    for (const part of name.split("/")) if (part !== "") depth++;
    if (depth > bounds.maxDepth) return `names a file ${depth} levels deep (at most ${bounds.maxDepth})`;
    out.push({ digest: line.slice(0, 64), name });
  }
  return out;
}

/** What one request may become once its references are expanded (the server's decoder limits). */
export interface HeaderRefsBounds {
  /**
   * Bytes of file contents the expanded request holds at most, counting every name (a list that
   * names one stored file 250 times places 250 copies): no more than one request could carry.
   */
  maxTotal: number;
  /** Entries (the list's and the request's own) at most: the decoder's NFIL bound. */
  maxFiles: number;
  /** One name at most, in bytes. */
  maxNameLength: number;
  /** Components of one name at most (the pump tree's bound). */
  maxDepth: number;
}

/** No bounds but the memory share (tests of the expansion itself). */
const UNBOUNDED: HeaderRefsBounds = {
  maxTotal: Number.POSITIVE_INFINITY,
  maxFiles: Number.POSITIVE_INFINITY,
  maxNameLength: Number.POSITIVE_INFINITY,
  maxDepth: Number.POSITIVE_INFINITY,
};

/**
 * Applies the header cache part of an XREQ to a protocol-3 request, before the job waits for a slot:
 * expands a set reference and per-file references from `store` into `request.files`, stores the
 * bodies that came (under the digest computed here, never the client's word), and computes the
 * digest of this job's whole set (every non-empty file but the excluded ones) for the trailer.
 *
 * Content brought from the store is charged to the job's memory share by its size *before* it is
 * read (on disk every read is a fresh buffer), each digest is read once per job and its buffer
 * shared by every name it has, and the first refusal of the share stops all further reading.
 */
export async function applyHeaderRefs(
  request: CompileRequest,
  refs: HeaderRefs,
  store: HeaderStore | undefined,
  share: BudgetShare,
  bounds: HeaderRefsBounds = UNBOUNDED,
): Promise<HeaderRefsOutcome> {
  const sent = request.files ?? [];
  const missing: string[] = [];
  // Entries of the set first, then the request's own.
  const fromSet: PumpEntry[] = [];
  const stored = new Map<number, string>(); // index in the final list -> digest known to be stored
  const read = new Map<string, Uint8Array>(); // digest -> its content, read once for this job
  let short = false;
  let total = 0;
  for (const entry of sent) if (entry.kind === "file") total += entry.content.length;
  /** Counts `bytes` more placed in the tree; too many for one request is a bad request. */
  const place = (bytes: number): void => {
    total += bytes;
    if (total > bounds.maxTotal)
      throw new HeaderRefsError(
        `the header cache's files would make this request hold more than ${bounds.maxTotal} bytes`,
      );
  };
  /** The content of `digest`, or undefined: missing (noted) or not fetched because the share said no. */
  const fetch = async (digest: string): Promise<Uint8Array | undefined> => {
    const known = read.get(digest);
    if (known) return known;
    const size = store?.sizeOf(digest);
    if (size === undefined) {
      missing.push(digest);
      return undefined;
    }
    if (short) return undefined;
    if (!share.take(size)) {
      short = true;
      return undefined;
    }
    const content = await store?.get(digest);
    if (content === undefined)
      missing.push(digest); // gone since: the charge goes with the job
    else read.set(digest, content);
    return content;
  };
  if (refs.set !== undefined) {
    // A list longer than any set a request could make is not read at all.
    const maxLines = Math.max(0, bounds.maxFiles - sent.length);
    const listSize = store?.sizeOf(refs.set);
    if (listSize !== undefined && listSize > maxLines * lineBytes(bounds.maxNameLength)) {
      throw new HeaderRefsError(
        `header set ${refs.set} is ${listSize} bytes: longer than a list of ${maxLines} files can be`,
      );
    }
    const manifest = await fetch(refs.set);
    const entries = manifest ? parseManifest(manifest, bounds, maxLines) : undefined;
    if (typeof entries === "string") throw new HeaderRefsError(`header set ${refs.set} ${entries}`);
    for (const e of entries ?? []) {
      // Checked before anything is read: a list naming one big file many times is refused at once.
      const size = store?.sizeOf(e.digest);
      if (size !== undefined) place(size);
    }
    for (const e of entries ?? []) {
      const content = await fetch(e.digest);
      if (short) break;
      if (content) {
        stored.set(fromSet.length, e.digest);
        fromSet.push({ kind: "file", name: e.name, content });
      }
    }
  }
  const byIndex = new Map<number, string>();
  for (const [index, digest] of refs.refs ?? []) {
    const entry = sent[index];
    if (entry?.kind !== "file")
      throw new HeaderRefsError(`header reference to NFIL entry ${index}, which is not a FILE`);
    if (entry.content.length !== 0)
      throw new HeaderRefsError(`NFIL entry ${index} has both a body and a header reference`);
    if (byIndex.has(index)) throw new HeaderRefsError(`NFIL entry ${index} is referenced twice`);
    byIndex.set(index, digest);
  }
  for (const digest of byIndex.values()) {
    const size = store?.sizeOf(digest);
    if (size !== undefined) place(size);
  }
  for (const [index, digest] of byIndex) {
    if (short) break;
    const content = await fetch(digest);
    const entry = sent[index] as Extract<PumpEntry, { kind: "file" }>;
    if (content) {
      sent[index] = { kind: "file", name: entry.name, content };
      stored.set(fromSet.length + index, digest);
    }
  }
  // Not everything was looked at: a list of what is missing could be incomplete.
  if (short) return { kind: "no-memory" };
  if (missing.length > 0) return { kind: "missing", digests: [...new Set(missing)] };
  const files = fromSet.length > 0 ? [...fromSet, ...sent] : sent;
  request.files = files;
  if (!store) return { kind: "ready" };
  // The set of this job: what a later job of the same compile can name with one digest.
  const excluded = new Set((refs.exclude ?? []).map((i) => i + files.length - sent.length));
  const members: { digest: string; name: string }[] = [];
  for (let i = 0; i < files.length; i++) {
    const entry = files[i] as PumpEntry;
    if (entry.kind !== "file" || entry.content.length === 0 || excluded.has(i)) continue;
    if (entry.name.includes("\n")) return { kind: "ready" }; // cannot be a manifest line: no set
    const digest = stored.get(i) ?? (await store.put(entry.content));
    members.push({ digest, name: entry.name });
  }
  if (members.length === 0) return { kind: "ready" };
  const text = Buffer.from(manifestText(members), "utf8");
  const set = contentDigest(text);
  await store.put(text);
  return { kind: "ready", set };
}
