/** A condition a test waited for did not come: the test fails here, naming what it waited for. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  readonly code = "TESTKIT_ERR_WAIT_TIMEOUT";
}

/** What a truthy look can be. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | "" | null | undefined>;

export interface WaitForOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Time between two looks (default 25 ms). */
  intervalMs?: number;
}

function describeLast(last: unknown, error: unknown): string {
  if (error !== undefined) return `last look threw: ${(error as Error)?.message ?? String(error)}`;
  let shown: string;
  try {
    shown = JSON.stringify(last) ?? String(last);
  } catch {
    shown = String(last); // a cyclic value: its string form is all there is to show
  }
  return `last look gave ${shown.length > 200 ? `${shown.slice(0, 197)}...` : shown}`;
}

/**
 * Looks at `check` until it gives something truthy, and returns that; throws WaitTimeoutError
 * (naming `what` and the last look) when `timeoutMs` passes first. A look that throws counts as
 * "not yet". Why not vitest's `vi.waitFor`: it resolves at once on a falsy result (it retries only
 * on throws), which is exactly how the hand-made loops this replaces went wrong, and its default of
 * 1 s is shorter than a process start on a loaded machine.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    let error: unknown;
    try {
      last = await check();
      if (last) return last as Truthy<T>;
    } catch (err) {
      error = err;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `waited ${timeoutMs} ms for ${what}; ${describeLast(last, error)}`,
        error !== undefined ? { cause: error } : undefined,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
