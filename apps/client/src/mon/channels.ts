import { channel } from "node:diagnostics_channel";

/**
 * The agent's diagnostics channels (for embedders: `diagnostics_channel.subscribe(name, fn)`).
 * Messages are plain objects; see docs/scheduling.md.
 */
export const CHANNELS = {
  /** Every attempt that ended: `JobEvent`. */
  job: "distcc-client:job",
  /** The same figures as `mon`, each time they change (throttled): `AgentStatus`. */
  status: "distcc-client:status",
  /** A build is over (nothing ran for a while): `{ status: BuildStatus, summary: string }`. */
  build: "distcc-client:build",
} as const;

/** One attempt of a job, when it ended. */
export interface JobEvent {
  /** `localhost` or the host id (`tcp_HOST_PORT`). */
  readonly placeId: string;
  readonly ok: boolean;
  /** Grant to result, ms. */
  readonly elapsedMs: number;
  readonly inputBytes: number;
  /** Why the place failed the job (host failures only). */
  readonly reason?: string;
  /** The job had to run here (not distributable). */
  readonly localOnly: boolean;
}

export const jobChannel = channel(CHANNELS.job);
export const statusChannel = channel(CHANNELS.status);
export const buildChannel = channel(CHANNELS.build);
