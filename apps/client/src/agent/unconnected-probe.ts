import { connect } from "node:net";
import { describeHostFailure, type HostFailure } from "./host-failure.js";

/**
 * An attempt stopped (its job was won elsewhere, a straggler copy here) before its connection was
 * even made says nothing about its host, so an unreachable helper would be tried by every job, lose
 * to the copy every time, and never be reported. This finishes that connection, alone and only to
 * learn: made, it is closed at once; refused, unresolvable or timed out, `onFailure` gets the reason
 * a job's attempt would have got. One probe per host at a time (`busy` holds the hosts being probed).
 */
export function probeUnconnectedHost(
  target: { host: string; port: number },
  connectTimeoutMs: number,
  busy: Set<string>,
  onFailure: (failure: HostFailure) => void,
): void {
  const key = `${target.host}:${target.port}`;
  if (busy.has(key)) return;
  busy.add(key);
  const socket = connect({ host: target.host, port: target.port });
  let done = false;
  const end = (failure?: HostFailure): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    busy.delete(key);
    socket.destroy();
    if (failure) onFailure(failure);
  };
  const timer = setTimeout(
    () => end(describeHostFailure({ code: "DISTCC_ERR_CONNECT", message: `connecting to ${key} timed out` }, 0)),
    connectTimeoutMs,
  );
  timer.unref();
  socket.once("connect", () => end());
  socket.once("error", (err: NodeJS.ErrnoException) =>
    end(describeHostFailure({ code: "DISTCC_ERR_CONNECT", message: err.message, cause: err }, 0)),
  );
}
