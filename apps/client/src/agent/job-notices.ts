/**
 * What the agent tells the user about the setup (not about one compile): the host list, DISTCC_LOG,
 * hosts that failed or are skipped. Said once per build (AgentState.oncePerBuild), so a 1000-file build
 * hears each thing once and the next build hears it again; a broken host list once per agent.
 */
import { appendFileSync } from "node:fs";
import { findHostList, parseHostList, type HostEntry, type HostList } from "@x/distcc-hosts";
import type { ClientOptions } from "../env-options.js";
import { errorMessage } from "../errno.js";
import type { AgentState } from "./agent-state.js";
import { NO_HOSTS_HINT, withFoundHelpers } from "../zeroconf-hosts.js";
import type { JobOutput } from "./job-output.js";
import { placeName, tcpHostId, type PlacementDriver } from "./placement.js";

type TcpHost = Extract<HostEntry, { kind: "tcp" }>;

interface NoticeContext {
  state: AgentState;
  out: JobOutput;
  opts: ClientOptions;
  env: Record<string, string | undefined>;
}

/** The per-build (and per-host) message key: one message about a host per build, failure or skip. */
function hostKey(h: TcpHost): string {
  return `host:${tcpHostId(h.host, h.port)}`;
}

/**
 * DISTCC_LOG that cannot be opened: said (distcc says it too), and messages go to stderr as without
 * it, not the per-job detail a log would have held.
 */
export function checkLogFile(ctx: NoticeContext): void {
  const file = ctx.opts.logFile;
  if (file === undefined) return;
  try {
    appendFileSync(file, "");
  } catch (err) {
    ctx.opts.logFile = undefined;
    ctx.state.oncePerBuild(`log:${file}`, () =>
      ctx.out.warn(`failed to open logfile DISTCC_LOG: ${errorMessage(err)}; messages go to stderr`),
    );
  }
}

/** Whatever went wrong while the agent started, said by its first job. */
export function sayStartupProblems(ctx: NoticeContext): void {
  if (ctx.state.problems.length === 0) return;
  ctx.state.once("startup-problems", () => {
    for (const p of ctx.state.problems) ctx.out.warn(p);
  });
}

/**
 * The host list as distcc finds it, or undefined (compile here), with distcc's warning when there is
 * no list at all, or one with no host in it ("can't distribute work", returned as the empty list:
 * DISTCC_FALLBACK=0 then fails the job, as distcc), once per build; a list that does not parse, once
 * per agent and list text (the error does not change from file to file).
 */
export async function loadHosts(ctx: NoticeContext): Promise<HostList | undefined> {
  const found = findHostList(ctx.env);
  if (!found) {
    ctx.state.oncePerBuild("no-hosts", () =>
      ctx.out.warn(`no hostlist is set; can't distribute work: ${NO_HOSTS_HINT}`),
    );
    return undefined;
  }
  let list: HostList;
  try {
    list = parseHostList(found.text, { source: found.source });
  } catch (err) {
    ctx.state.once(`hosts-error:${found.source}\0${found.text}`, () =>
      ctx.out.warn(`${errorMessage(err)}; compiling locally`),
    );
    return undefined;
  }
  if (list.zeroconf) {
    const zeroconf = await ctx.state.zeroconf(ctx.env);
    list = withFoundHelpers(list, zeroconf?.helpers() ?? []);
    if (list.hosts.length === 0) {
      ctx.state.oncePerBuild(`empty-hosts:${found.source}`, () =>
        ctx.out.warn(
          `+zeroconf found no helper (${zeroconf ? zeroconf.describe() : "no DNS-SD backend"}); can't distribute work: start helpers with --zeroconf`,
        ),
      );
    }
    return list;
  }
  if (list.hosts.length === 0) {
    ctx.state.oncePerBuild(`empty-hosts:${found.source}`, () =>
      ctx.out.warn(`${found.source} contained no hosts; can't distribute work`),
    );
  }
  return list;
}

/**
 * Names, at the start of each build, every host of the list it skips because an earlier failure
 * backed it off: how long still, and why (else the next builds would run here in silence).
 */
export function sayBackedOffHosts(ctx: NoticeContext, driver: PlacementDriver, remotes: readonly TcpHost[]): void {
  const now = Date.now();
  for (const h of remotes) {
    const id = tcpHostId(h.host, h.port);
    const until = driver.scheduler.backoff.backedOffUntil(id, now);
    if (until === undefined) continue;
    const why = ctx.state.lastFailure.get(id) ?? "an earlier failure";
    ctx.state.oncePerBuild(hostKey(h), () => {
      ctx.state.monitor.noteSkipped(id, `backed off after: ${why}`);
      ctx.out.warn(
        `${placeName(h.spec)} skipped: backed off for ${Math.ceil((until - now) / 1000)} s more after: ${why}; \`distcc-client agent stop\` or wait`,
      );
    });
  }
}

/** A host failed a job: said once per host and build (the rest only with DISTCC_VERBOSE), kept for later builds. */
export function sayHostFailed(ctx: NoticeContext, host: TcpHost, input: string, reason: string): void {
  ctx.state.lastFailure.set(tcpHostId(host.host, host.port), reason);
  const said = ctx.state.oncePerBuild(hostKey(host), () =>
    ctx.out.warn(
      `failed to distribute ${input} to ${placeName(host.spec)}: ${reason}; ${ctx.opts.fallback ? "running locally instead (or on another host)" : "DISTCC_FALLBACK=0"}`,
    ),
  );
  if (!said) ctx.out.debug(`failed to distribute ${input} to ${placeName(host.spec)}: ${reason}`);
}
