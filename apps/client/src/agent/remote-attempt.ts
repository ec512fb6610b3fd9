import { sendCompileJob } from "@x/distcc-protocol";
import type { AttemptResult } from "./attempt-verdict.js";
import { describeHostFailure } from "./host-failure.js";
import { hostKey, peerKey, type PlacedJob, type TcpHost } from "./job-context.js";
import { peerMemoryFor } from "./peer-memory.js";
import { buildRequest, planRequest, requestArgv, usesHeaderCache } from "./request-plan.js";
import { probeUnconnectedHost } from "./unconnected-probe.js";

/**
 * One send of the job to `host`, with no effect outside the agent but what it learns about the host
 * (peer memory, the header cache it holds): what the helper answered, or why the send failed.
 */
export async function sendToHelper(
  placed: PlacedJob,
  host: TcpHost,
  signal: AbortSignal,
  started: number,
): Promise<AttemptResult> {
  const { ctx, scan, rewrite } = placed;
  const { out, opts } = ctx;
  const peers = peerMemoryFor(ctx.state);
  const plan = planRequest(host, peers, rewrite, placed.pump !== undefined);
  const argv = requestArgv(placed, plan);
  if (plan.extraArgs.length)
    out.debug(
      `adding '${plan.extraArgs.join(" ")}' (the compiler's target and code-generation defaults) for ${host.spec}`,
    );
  const how = plan.extension
    ? `, ours: ${plan.extension.compression}${plan.extension.identity ? ", identity" : ""}`
    : "";
  const payload = placed.pump ? `, ${placed.pump.files.length} files` : "";
  out.debug(`sending ${scan.input} to ${host.spec} (protocol ${plan.version}${how}${payload}): ${argv.join(" ")}`);
  let connected = false;
  // The header cache of a server of ours: references instead of the bodies it confirmed holding.
  const key = peerKey(host);
  const headerCache = usesHeaderCache(placed, plan);
  let held = headerCache ? ctx.state.pump.held.of(key) : undefined;
  // Its share of the helper's time: what a pump job costs there (pump-modes.ts).
  const measured = ctx.state.pumpModes.helperStarted(hostKey(host));
  let answered = false;
  try {
    let exchange: Awaited<ReturnType<typeof sendCompileJob>>;
    for (;;) {
      const { request, extension } = buildRequest(placed, plan, argv, held, headerCache);
      exchange = await sendCompileJob({ host: host.host, port: host.port }, request, {
        ioTimeoutMs: opts.ioTimeoutMs,
        connectTimeoutMs: opts.connectTimeoutMs,
        signal,
        ...(extension ? { extension } : {}),
        readTrailer: plan.readTrailer,
        onConnected: () => (connected = true),
      });
      const answer = exchange.trailer?.headers;
      const headerSet = placed.pump?.headerSet;
      if (answer?.missing && held !== undefined) {
        // The server lost what it had confirmed (restart, eviction): nothing was compiled; again, with bodies.
        ctx.state.pump.held.forget(key, [...answer.missing, ...(headerSet ? [headerSet.set] : [])]);
        out.debug(
          `${host.spec} no longer holds ${answer.missing.length} header(s): sending ${scan.input} again with bodies`,
        );
        held = undefined;
        continue;
      }
      if (headerCache && headerSet && answer?.set === headerSet.set) ctx.state.pump.held.confirm(key, headerSet);
      break;
    }
    peers.learn(peerKey(host), exchange.server, exchange.trailer);
    if (exchange.server === "ours" && plan.known?.kind !== "ours")
      out.debug(
        `${host.spec} is a distcc-ts server (${exchange.trailer?.server}): next jobs carry the compiler identity and LZ4`,
      );
    if (exchange.trailerError) out.debug(`${host.spec}: ignoring a bad trailer: ${exchange.trailerError.message}`);
    const serverMs = exchange.serverMs !== undefined ? { serverMs: exchange.serverMs } : {};
    answered = true;
    measured(placed.pump !== undefined, exchange.serverMs);
    return { kind: "answered", host, response: exchange.response, elapsedMs: Date.now() - started, ...serverMs };
  } catch (err) {
    if (signal.aborted) {
      if (!connected) followUpUnconnected(placed, host);
      return { kind: "stopped" };
    }
    // Ours explains every refusal, and a host that compiled this compiler before has it: a silent close
    // there is a server that stopped or died, not a missing compiler.
    const knownGood = plan.known?.kind === "ours" || ctx.state.served.has(`${peerKey(host)}\0${rewrite.name}`);
    const failure = describeHostFailure(err, opts.ioTimeoutMs, { compiler: rewrite.name, knownGood });
    // An extended request closed without an answer: maybe no longer ours. Standard requests from now on.
    if (plan.extension && failure.code === "DISTCC_ERR_NO_ANSWER" && host.compression !== "lz4")
      peers.forget(peerKey(host));
    if (failure.code === "DISTCC_ERR_NO_ANSWER" && !knownGood)
      failure.reason += "; 'distcc-client doctor' checks every host";
    return { kind: "failed", host, reason: failure.reason };
  } finally {
    if (!answered) measured(undefined);
  }
}

/** A stopped attempt that never connected: learn whether its host is reachable at all (unconnected-probe.ts). */
function followUpUnconnected(placed: PlacedJob, host: TcpHost): void {
  const { ctx, driver } = placed;
  probeUnconnectedHost(host, ctx.opts.connectTimeoutMs, ctx.state.probing, (failure) => {
    ctx.state.lastFailure.set(hostKey(host), failure.reason);
    driver.hostFailed(hostKey(host), failure.reason);
  });
}
