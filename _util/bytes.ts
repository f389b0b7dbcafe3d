/** The check for byte inputs, shared by every transport. */

/**
 * `data` as a `Uint8Array` over the same memory: a `Uint8Array` as is, any
 * other `ArrayBufferView` viewed as bytes. Strings and everything else are a
 * `TypeError` naming `where`.
 */
export function asBytes(data: unknown, where: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const kind = data === null ? "null" : typeof data;
  throw new TypeError(`${where} must be a Uint8Array (bytes), got ${kind}`);
}
