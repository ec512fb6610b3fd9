/** A job in flight that might be worth sending to a second place. */
export interface StragglerCheck {
  readonly now: number;
  readonly startedAt: number;
  /**
   * When it was expected to finish; undefined if its place had no estimate (a first job there): it is
   * then assumed to need as long again as it has run, like a job past its expected end.
   */
  readonly expectedEndAt?: number;
  /** Expected ms at the best FREE other place (undefined: none, or no estimate). */
  readonly alternativeMs?: number;
  /** The second place must finish sooner by this factor (default 1.5): a copy costs work and a slot. */
  readonly margin?: number;
}

/**
 * Whether to re-send a running job to a second place (first result wins, the other is cancelled):
 * when the second place is expected to finish well before the first. A job past its expected end, or
 * at a place never measured, is assumed to need as long again as it has already run (it is slow
 * there, for whatever reason): so the first jobs a cold start gave to a helper far slower than this
 * machine are copied here once this machine is known and idle.
 */
export function shouldDuplicate(check: StragglerCheck): boolean {
  const { now, startedAt, expectedEndAt, alternativeMs } = check;
  if (alternativeMs === undefined) return false;
  const margin = check.margin ?? 1.5;
  const elapsed = Math.max(0, now - startedAt);
  let remaining: number;
  if (expectedEndAt !== undefined && expectedEndAt > now) remaining = expectedEndAt - now;
  else remaining = elapsed;
  return alternativeMs * margin < remaining;
}
