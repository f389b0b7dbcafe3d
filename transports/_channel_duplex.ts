/**
 * A `node:stream` Duplex over a byte channel: what `node:tls` needs to run
 * TLS on a plaintext endpoint (an accepted connection, or a transport's
 * channel taken by `startTls`).
 */

import { Duplex } from "node:stream";
import type { ByteChannel } from "./_channel.ts";
import { toError } from "../_util/error_values.ts";

/** The most one channel read asks for: four TLS records. */
const READ_SIZE = 64 * 1024;
/**
 * Reads land in slabs of this many bytes and are pushed as views: node keeps
 * each pushed chunk until TLS has consumed it, so a slab is never reused,
 * only replaced once too little of it is left for a useful read.
 */
const SLAB_SIZE = 4 * READ_SIZE;
const MIN_READ_SIZE = 16 * 1024;

/**
 * Pulls from the channel only while node asks for more (`push()` returning
 * false stops it until the next `_read`); writes are complete when the
 * channel has taken every byte; `end()` half-closes when the channel can;
 * `destroy()` closes the channel and settles once its read in flight has.
 */
export class ChannelDuplex extends Duplex {
  /** Settles once destroyed: the channel closed and its last read settled. */
  readonly released: Promise<void>;
  readonly #channel: ByteChannel;
  readonly #release: () => void;
  #pump: Promise<void> | null = null;
  #pendingRead: Promise<Uint8Array | null> | null;
  #slab = new Uint8Array(0);
  #slabOffset = 0;

  /**
   * `unread`: bytes already taken from the channel, which come out first;
   * `pendingRead`: a read of the channel already in flight (issued by its
   * previous owner), whose bytes come next.
   */
  constructor(
    channel: ByteChannel,
    unread: Uint8Array = new Uint8Array(0),
    pendingRead: Promise<Uint8Array | null> | null = null,
  ) {
    super();
    this.#channel = channel;
    this.#pendingRead = pendingRead;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.released = promise;
    this.#release = resolve;
    if (unread.length > 0) this.push(unread);
  }

  override _read(): void {
    this.#pump ??= this.#pumpReads();
  }

  async #pumpReads(): Promise<void> {
    try {
      const pending = this.#pendingRead;
      if (pending !== null) {
        this.#pendingRead = null;
        const data = await pending;
        if (this.destroyed) return;
        if (data === null) {
          this.push(null);
          return;
        }
        if (data.length > 0 && !this.push(data)) return;
      }
      for (;;) {
        const view = this.#readView();
        const n = await this.#channel.read(view);
        if (this.destroyed) return;
        if (n === null) {
          this.push(null);
          return;
        }
        this.#slabOffset += n;
        if (!this.push(view.subarray(0, n))) return;
      }
    } catch (err) {
      this.destroy(toError(err));
    } finally {
      this.#pump = null;
    }
  }

  #readView(): Uint8Array {
    if (this.#slab.length - this.#slabOffset < MIN_READ_SIZE) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#slabOffset = 0;
    }
    const end = Math.min(this.#slab.length, this.#slabOffset + READ_SIZE);
    return this.#slab.subarray(this.#slabOffset, end);
  }

  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (err?: Error | null) => void,
  ): void {
    this.#writeAll(chunk).then(() => callback(), (err) => callback(toError(err)));
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    for (let sent = 0; sent < chunk.length;) {
      sent += await this.#channel.write(sent === 0 ? chunk : chunk.subarray(sent));
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.#channel.canCloseWrite) return callback();
    this.#channel.closeWrite().then(() => callback(), (err) => callback(toError(err)));
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const pending = this.#pendingRead?.catch(() => {});
    Promise.all([this.#channel.close(), this.#pump, pending]).then(() => {
      this.#release();
      callback(err);
    });
  }
}
