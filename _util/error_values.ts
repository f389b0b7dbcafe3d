/** Helpers for thrown values: what to report, what a peer going away looks like. */

/**
 * `err` as an `Error`, wrapping anything else that was thrown (`undefined`, a
 * Symbol, an object without a prototype, a Proxy whose traps throw): never throws.
 */
export function toError(err: unknown): Error {
  try {
    if (err instanceof Error) return err;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: wrap it as any other value.
  }
  return new Error(describeThrown(err), { cause: err });
}

/** A message for a thrown value that is not an `Error`, however hostile it is. */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `a thrown ${typeof value} that cannot be converted to a string`;
  }
}

/** Whether `err` is what a peer going away looks like: logged by nobody, as in asyncio. */
export function isDisconnect(err: unknown): boolean {
  try {
    return err instanceof Deno.errors.ConnectionReset ||
      err instanceof Deno.errors.BrokenPipe ||
      err instanceof Deno.errors.ConnectionAborted;
  } catch {
    return false; // a Proxy a callback threw, whose getPrototypeOf trap throws
  }
}
