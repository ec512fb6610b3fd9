import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ServerTrailer } from "@x/distcc-protocol";
import { writeAtomically } from "../mon/agent-monitor.js";
import type { AgentState } from "./agent-state.js";
import { errorMessage, isErrno } from "../errno.js";

/** What a host turned out to be, learned from the end of a normal job (docs/protocol-extensions.md). */
export type PeerKnowledge =
  | { kind: "ours"; server: string; features: string[]; seenAt: number }
  | { kind: "distccd"; seenAt: number };

/** A host found to be a distccd is asked again after this long (it may have become ours). */
const DISTCCD_RECHECK_MS = 24 * 60 * 60 * 1000;
const MAX_PEERS = 1024;

const fileSchema = z.object({
  version: z.literal(1),
  peers: z.record(
    z.string().max(300),
    z.union([
      z.object({
        kind: z.literal("ours"),
        server: z.string().max(128),
        features: z.array(z.string().max(32)).max(32),
        seenAt: z.number(),
      }),
      z.object({ kind: z.literal("distccd"), seenAt: z.number() }),
    ]),
  ),
});

/**
 * Per host (host:port): ours or a distccd. Learned for free: our server appends an XSRV trailer to
 * every response, a distccd closes right after its answer. Kept in DISTCC_DIR/peers.json beside the
 * learned scheduler model, so the next agent (the next build) starts knowing. Unknown hosts get
 * standard requests only; so do hosts known to be distccd.
 */
export class PeerMemory {
  private readonly peers = new Map<string, PeerKnowledge>();

  /** `onProblem`: told when the file exists but cannot be read (the memory then starts empty). */
  constructor(
    readonly file: string | undefined,
    onProblem?: (message: string) => void,
  ) {
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      // No file: start knowing nothing (every host gets a standard first job). Unreadable: the same, said.
      if (!isErrno(err, "ENOENT"))
        onProblem?.(`cannot read ${file} (${errorMessage(err)}): every host gets a standard first job`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      return; // cut short by a crash: relearned from the next jobs
    }
    const parsed = fileSchema.safeParse(json);
    if (parsed.success) for (const [k, v] of Object.entries(parsed.data.peers)) this.peers.set(k, v);
  }

  get(host: string, now = Date.now()): PeerKnowledge | undefined {
    const p = this.peers.get(host);
    if (p?.kind === "distccd" && now - p.seenAt > DISTCCD_RECHECK_MS) return undefined;
    return p;
  }

  /** After a job: what its end said. "unknown" teaches nothing. */
  learn(host: string, server: "ours" | "distccd" | "unknown", trailer?: ServerTrailer): void {
    if (server === "unknown") return;
    const before = this.peers.get(host);
    const next: PeerKnowledge =
      server === "ours" && trailer
        ? { kind: "ours", server: trailer.server, features: [...trailer.features], seenAt: Date.now() }
        : { kind: "distccd", seenAt: Date.now() };
    this.peers.set(host, next);
    // Save on a change of kind only: a build's thousand jobs write the file once per host.
    if (before?.kind !== next.kind || (next.kind === "ours" && before.kind === "ours" && before.server !== next.server))
      this.save();
  }

  /** A host known to be ours that closed on an extended request: back to standard requests. */
  forget(host: string): void {
    if (this.peers.delete(host)) this.save();
  }

  private save(): void {
    if (!this.file) return;
    const entries = [...this.peers.entries()].sort((a, b) => b[1].seenAt - a[1].seenAt).slice(0, MAX_PEERS);
    // A read-only DISTCC_DIR (writeAtomically gives up quietly): the agent still remembers for its own lifetime.
    writeAtomically(this.file, `${JSON.stringify({ version: 1, peers: Object.fromEntries(entries) })}\n`);
  }
}

// One memory per agent, without touching AgentState (another engineer's file).
const memories = new WeakMap<AgentState, PeerMemory>();

/** The agent's memory of hosts, in DISTCC_DIR/peers.json. */
export function peerMemoryFor(state: AgentState): PeerMemory {
  let m = memories.get(state);
  if (!m) {
    m = new PeerMemory(join(state.paths.stateDir, "peers.json"), (problem) => state.problems.push(problem));
    memories.set(state, m);
  }
  return m;
}
