import type { HostEntry, HostList } from "@x/distcc-hosts";
import type { DistributableScan } from "@x/distcc-toolchain";
import type { Invocation } from "../invocation.js";
import type { ClientOptions } from "../env-options.js";
import type { JobConnection } from "./agent-server.js";
import type { AgentState } from "./agent-state.js";
import type { JobOutput } from "./job-output.js";
import { tcpHostId, type PlacementDriver } from "./placement.js";
import type { PreprocessResult } from "./preprocess.js";
import type { PumpPlan } from "./pump-plan.js";
import type { ToolchainRewrite } from "./toolchain-rewrite.js";

export type CompileInvocation = Extract<Invocation, { kind: "compile" }>;

export type TcpHost = Extract<HostEntry, { kind: "tcp" }>;

/** One launcher's compile, as every step of its handling sees it. */
export interface JobContext {
  job: JobConnection;
  state: AgentState;
  opts: ClientOptions;
  out: JobOutput;
  cwd: string;
  env: Record<string, string>;
  inv: CompileInvocation;
  compilerPath: string;
  /** Variables every child (cpp, local compiler) gets: the recursion guard, the cut PATH. */
  childEnv: Record<string, string>;
}

/**
 * Everything the attempts of one placed job share. A plain job carries its preprocessed source, a pump
 * job its plan (the files the helper's preprocessor reads): never both, never neither.
 */
export type PlacedJob = PlacedCommon &
  ({ cpp: PreprocessResult; pump?: undefined } | { pump: PumpPlan; cpp?: undefined });

interface PlacedCommon {
  ctx: JobContext;
  scan: DistributableScan;
  hosts: HostList;
  remotes: TcpHost[];
  rewrite: ToolchainRewrite;
  driver: PlacementDriver;
  jobId: number;
}

/** How peers.json (and the helpers' memory of what a host served) names a host: "host:port". */
export function peerKey(h: TcpHost): string {
  return `${h.host}:${h.port}`;
}

/** How the scheduler names a host's place. */
export function hostKey(h: TcpHost): string {
  return tcpHostId(h.host, h.port);
}
