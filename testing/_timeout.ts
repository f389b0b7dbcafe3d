/** Bounded waits for tests. */

import { setLongTimeout } from "../_util/long_timer.ts";

/**
 * Resolves or rejects as `promise` does, or rejects with
 * `Deno.errors.TimedOut` naming `what` after `ms` milliseconds. The timer is
 * cleared either way, so Deno's test sanitizers stay quiet, and any length
 * works (`Infinity`: no bound). Wrap every wait of a test in
 * it, so a bug fails the test instead of hanging it.
 *
 * @param promise What to wait for.
 * @param ms How long to wait, in milliseconds; 5000 by default.
 * @param what What the error message calls the wait.
 * @returns The value `promise` resolves to.
 * @throws {RangeError} If `ms` is not a number `>= 0`.
 * @throws {Deno.errors.TimedOut} If `promise` does not settle within `ms` (the promise rejects).
 *
 * @example A bounded wait
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withTimeout } from "@aio/transports/testing";
 *
 * assertEquals(await withTimeout(Promise.resolve(42), 1000, "the answer"), 42);
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
