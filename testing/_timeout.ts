/** Bounded waits for tests. */

import { setLongTimeout } from "../loop/_long_timer.ts";

/**
 * Resolves or rejects as `promise` does, or rejects with
 * `Deno.errors.TimedOut` naming `what` after `ms` milliseconds; the timer is
 * cleared either way, so Deno's test sanitizers stay quiet. Wrap every wait
 * of a test in it, so a bug fails the test instead of hanging it.
 *
 * @example
 * ```ts
 * import { withTimeout } from "@aio/transports/testing";
 *
 * const value = await withTimeout(Promise.resolve(42), 1000, "the answer");
 * console.log(value); // 42
 * ```
 */
export function withTimeout<T>(
  promise: PromiseLike<T>,
  ms = 5000,
  what = "the operation",
): Promise<T> {
  if (typeof ms !== "number" || !(ms >= 0)) {
    throw new RangeError(`withTimeout: 'ms' must be a number >= 0, got ${ms}`);
  }
  let cancel = () => {};
  const timeout = new Promise<never>((_, reject) => {
    cancel = setLongTimeout(
      () => reject(new Deno.errors.TimedOut(`${what} did not finish within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => cancel());
}
