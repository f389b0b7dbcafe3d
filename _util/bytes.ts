/** The check for byte inputs, shared by every transport. */

/**
 * `data` as a `Uint8Array` over the same memory: a `Uint8Array` as is, any
 * other `ArrayBufferView` viewed as bytes. Strings and everything else are a
 * `TypeError` naming `where`.
 */
export function asBytes(data: unknown, where: string): Uint8Array {
  if (ArrayBuffer.isView(data)) {
    // A detached view reads as empty: sending nothing would hide the caller's bug. Only an
    // empty view is looked at, since `.buffer` makes V8 move a small array off its heap.
    if (data.byteLength === 0 && (data.buffer as ArrayBuffer).detached === true) {
      throw new TypeError(`${where} is a view of a detached ArrayBuffer`);
    }
    if (data instanceof Uint8Array) return data;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const kind = data === null ? "null" : typeof data;
  throw new TypeError(`${where} must be a Uint8Array (bytes), got ${kind}`);
}
