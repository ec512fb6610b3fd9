/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); longer lifetimes are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * distccd's `--lifetime SECONDS` (an alarm(2) there): calls `onExpire` once, that long from now.
 * 0 means never. The timer does not keep the process alive by itself.
 */
export function armLifetime(seconds: number, onExpire: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  if (seconds > 0) {
    const deadline = Date.now() + seconds * 1000;
    const wait = (): void => {
      const left = deadline - Date.now();
      timer = left > 0 ? setTimeout(wait, Math.min(left, MAX_TIMER_MS)) : undefined;
      timer?.unref();
      if (left <= 0) onExpire();
    };
    wait();
  }
  return { cancel: () => clearTimeout(timer) };
}
