/** A channel that first returns bytes read before a TLS upgrade. */

import type { ByteChannel } from "./_channel.ts";

/**
 * Bytes a transport had read but not delivered when `startTls` took its
 * channel: they arrived before the handshake, so they come out first.
 */
export class PrefixedChannel implements ByteChannel {
  readonly canCloseWrite: boolean;
  readonly #inner: ByteChannel;
  #prefix: Uint8Array | null;

  constructor(prefix: Uint8Array, inner: ByteChannel) {
    this.#prefix = prefix;
    this.#inner = inner;
    this.canCloseWrite = inner.canCloseWrite;
  }

  read(p: Uint8Array): Promise<number | null> {
    const prefix = this.#prefix;
    if (prefix === null) return this.#inner.read(p);
    const n = Math.min(p.length, prefix.length);
    p.set(prefix.subarray(0, n));
    this.#prefix = n < prefix.length ? prefix.subarray(n) : null;
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    return this.#inner.write(p);
  }

  closeWrite(): Promise<void> {
    return this.#inner.closeWrite();
  }

  close(): Promise<void> {
    this.#prefix = null;
    return this.#inner.close();
  }
}
