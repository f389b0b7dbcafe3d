/** Argument checks for byte inputs, shared by every transport. */

/**
 * `data` as a `Uint8Array` over the same memory: a `Uint8Array` as is, any
 * other `ArrayBufferView` viewed as bytes. Strings and everything else are a
 * `TypeError` naming `where`.
 */
export function asBytes(data: unknown, where: string): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    // A detached view reads as empty: sending nothing would hide the caller's bug.
    if ((data.buffer as ArrayBuffer).detached === true) {
      throw new TypeError(`${where} is a view of a detached ArrayBuffer`);
    }
    if (data instanceof Uint8Array) return data;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const kind = data === null ? "null" : typeof data;
  throw new TypeError(`${where} must be a Uint8Array (bytes), got ${kind}`);
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
