/** Helpers for thrown values: what to report, what a peer going away looks like. */

/** `err` as an `Error`, wrapping anything else that was thrown. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err), { cause: err });
}

/** Whether `err` is what a peer going away looks like: logged by nobody, as in asyncio. */
export function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.ConnectionAborted;
}
