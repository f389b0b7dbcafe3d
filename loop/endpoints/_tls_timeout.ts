/** The handshake deadline both TLS engines share. */

import { setLongTimeout } from "../../_util/long_timer.ts";

/**
 * `promise`'s value, or `null` once `seconds` pass first; the timer never
 * outlives it, and any length works (`Infinity`: no deadline).
 */
export async function within<T>(promise: Promise<T>, seconds: number): Promise<T | null> {
  let cancel = () => {};
  const expired = new Promise<null>((resolve) => {
    cancel = setLongTimeout(() => resolve(null), seconds * 1000);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    cancel();
  }
}

/** The error of a handshake that ran out of time. */
export function handshakeTimedOut(method: string, timeout: number): Error {
  return new Deno.errors.TimedOut(
    `${method}: the TLS handshake did not complete within ${timeout} seconds`,
  );
}
