/** The handshake deadline both TLS engines share. */

/** `promise`'s value, or `null` once `seconds` pass first; the timer never outlives it. */
export async function within<T>(promise: Promise<T>, seconds: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), seconds * 1000);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The error of a handshake that ran out of time. */
export function handshakeTimedOut(method: string, timeout: number): Error {
  return new Deno.errors.TimedOut(
    `${method}: the TLS handshake did not complete within ${timeout} seconds`,
  );
}
