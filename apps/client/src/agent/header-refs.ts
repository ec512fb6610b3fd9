// The client's side of the header cache (docs/protocol-extensions.md, "Header cache"): a server of
// ours keeps file contents by SHA-256; once it confirmed a job's set of headers, later jobs name
// the set (one digest) or the files (one digest each) instead of sending them. Optimistic: a server
// that lost them (restarted, evicted) answers "missing" and the job is sent again with bodies.
import { MAX_HEADER_REFS, type HeaderRefs, type PumpEntry } from "@x/distcc-protocol";
import type { PumpPlan } from "./pump-plan.js";

const EMPTY = new Uint8Array(0);

/** Per server ("host:port"), the digests (of files and of sets) it confirmed holding. Bounded. */
export class HeldHeaders {
  readonly #byHost = new Map<string, Set<string>>();

  constructor(readonly maxPerHost = 200_000) {}

  of(host: string): ReadonlySet<string> | undefined {
    return this.#byHost.get(host);
  }

  /** The server stored this plan's set: remember the set and every file of it. */
  confirm(host: string, headerSet: NonNullable<PumpPlan["headerSet"]>): void {
    let held = this.#byHost.get(host);
    if (!held) {
      held = new Set();
      this.#byHost.set(host, held);
    }
    // A crude bound: a server holds far fewer than this anyway, and forgetting costs one resend.
    if (held.size + headerSet.digests.length + 1 > this.maxPerHost) held.clear();
    held.add(headerSet.set);
    for (const d of headerSet.digests) held.add(d);
  }

  /** The server does not hold these (anymore). */
  forget(host: string, digests: readonly string[]): void {
    const held = this.#byHost.get(host);
    if (!held) return;
    for (const d of digests) held.delete(d);
  }
}

/**
 * The NFIL entries and the XREQ `headers` for one pump job to a server with a header cache:
 * - the server holds the job's whole set: the set's digest, and only the other entries (the source,
 *   empty files, links, placeholders) travel;
 * - else each file it holds goes as a reference (an empty FILE body and [index, digest]), the rest
 *   with their bodies.
 * The source (index 0) is always sent and marked `exclude`: it is not stored nor part of the set.
 */
export function withHeaderRefs(
  plan: PumpPlan,
  held: ReadonlySet<string> | undefined,
): { files: PumpEntry[]; headers: HeaderRefs } {
  const hs = plan.headerSet;
  if (!hs || !held) return { files: plan.files, headers: { exclude: [0] } };
  if (held.has(hs.set)) {
    const inSet = new Set(hs.members);
    return { files: plan.files.filter((_, i) => !inSet.has(i)), headers: { set: hs.set, exclude: [0] } };
  }
  const files = plan.files.slice();
  const refs: [number, string][] = [];
  for (let k = 0; k < hs.members.length && refs.length < MAX_HEADER_REFS; k++) {
    const digest = hs.digests[k] as string;
    if (!held.has(digest)) continue;
    const i = hs.members[k] as number;
    const entry = files[i] as Extract<PumpEntry, { kind: "file" }>;
    files[i] = { kind: "file", name: entry.name, content: EMPTY, compressed: EMPTY };
    refs.push([i, digest]);
  }
  return { files, headers: refs.length > 0 ? { refs, exclude: [0] } : { exclude: [0] } };
}
