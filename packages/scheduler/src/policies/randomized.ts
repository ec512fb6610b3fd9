import type { Policy } from "../types.js";
import { chooseInListOrder } from "./distcc.js";

/**
 * distcc's `--randomize`: the host list is shuffled for every job (distcc shuffles once per client
 * process, i.e. per job), then scanned in distcc's order. `random` returns [0, 1) (pass a seeded PRNG
 * for reproducible tests).
 */
export function randomizedPolicy(random: () => number): Policy {
  return {
    name: "randomize",
    choose(state, job, now) {
      const hosts = [...state.hosts];
      for (let i = hosts.length - 1; i > 0; i--) {
        const j = Math.min(i, Math.floor(random() * (i + 1)));
        [hosts[i], hosts[j]] = [hosts[j]!, hosts[i]!];
      }
      return chooseInListOrder(hosts, state, job, now);
    },
  };
}
