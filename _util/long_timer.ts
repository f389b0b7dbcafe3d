/**
 * Timers of any length. `setTimeout` holds at most 2^31-1 ms (about 24.8
 * days): a longer delay fires at once, with a warning. asyncio's timers have
 * no such limit, so a long delay is a chain of timers each at most that long.
 */

/** The longest delay, in milliseconds, one `setTimeout` honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Calls `callback` after `ms` milliseconds, however large; a negative delay
 * is 0, and an infinite one never fires and holds no timer (as asyncio's
 * `TimerHandle` at infinity: nothing keeps the process alive for it).
 * Returns the function that cancels it.
 */
export function setLongTimeout(callback: () => void, ms: number): () => void {
  if (ms === Infinity) return () => {};
  // Each link counts its own delay off: a timer fires late, never early, so
  // the chain never ends before `ms`.
  let left = Math.max(0, ms);
  let id: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const link = Math.min(left, MAX_TIMEOUT_MS);
    left -= link;
    id = left > 0 ? setTimeout(arm, link) : setTimeout(callback, link);
  };
  arm();
  return () => clearTimeout(id);
}
