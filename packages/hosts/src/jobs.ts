import type { HostList } from "./types.js";

/**
 * What `distcc -j` prints: the sum of every host's limit (localhost and `,down` hosts included,
 * `--localslots` not), added in a C `int` so it wraps the same way. distcc prints nothing for a
 * list without hosts; this returns 0 then.
 */
export function totalJobs(list: HostList): number {
  let sum = 0;
  for (const host of list.hosts) sum = (sum + host.limit) | 0;
  return sum;
}
