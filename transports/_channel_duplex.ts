/**
 * A `node:stream` Duplex over a byte channel: what `node:tls` needs to run
 * TLS on a plaintext endpoint (an accepted connection, or a transport's
 * channel taken by `startTls`).
 */

import { Duplex } from "node:stream";
import type { ByteChannel } from "./_channel.ts";
import { toError } from "../_util/error_values.ts";

/** The most one channel read asks for: four TLS records. */
const MAX_READ_SIZE = 64 * 1024;
/**
 * The smallest read, and all an idle connection's pending read holds: a TLS
 * server keeps one per connection, so this must stay well under the few KiB
 * node:tls costs a connection.
 */
const MIN_READ_SIZE = 1024;
/** A read of at most 1/SHRINK_BELOW of its array halves the next one. */
const SHRINK_BELOW = 8;
/** A read of at most 1/TINY_BELOW of its array makes the next one the smallest. */
const TINY_BELOW = 64;
const EMPTY = new Uint8Array(0);
/**
 * Reads this large land in slabs, which bulk transfers need (an array per
 * read measured 10–25% slower); smaller ones in arrays of their own.
 */
const SLAB_READ_SIZE = 16 * 1024;
/**
 * A slab is cut into reads and never reused, since node keeps each pushed
 * chunk until TLS has consumed it; it is replaced once too little is left.
 */
const SLAB_SIZE = 4 * MAX_READ_SIZE;

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
  #failure: Error | null = null;
  /** {@linkcode holdReads} is in force; `#readWanted`: node asked for bytes meanwhile. */
  #readsHeld = false;
  #readWanted = false;
  #pendingRead: Promise<Uint8Array | null> | null;
  /** The size of the next read: a read that fills its array doubles it, a small one shrinks it. */
  #readSize = MIN_READ_SIZE;
  #slab = EMPTY;
  #slabOffset = 0;

  /**
   * `unread`: bytes already taken from the channel, which come out first;
   * `pendingRead`: a read of the channel already in flight (issued by its
   * previous owner), whose bytes come next.
   */
  constructor(
    channel: ByteChannel,
    unread: Uint8Array = EMPTY,
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
    if (this.#readsHeld) this.#readWanted = true;
    else this.#pump ??= this.#pumpReads();
  }

  /**
   * Stops reading the channel, whatever node asks for, until
   * {@linkcode releaseReads}: back-pressure from above a TLS socket that must
   * not be paused itself (see `NodeSocketChannel`). A read in flight completes.
   */
  holdReads(): void {
    this.#readsHeld = true;
  }

  /** Ends {@linkcode holdReads}, reading on if node asked for bytes meanwhile. */
  releaseReads(): void {
    if (!this.#readsHeld) return;
    this.#readsHeld = false;
    if (this.#readWanted) {
      this.#readWanted = false;
      this._read();
    }
  }

  /**
   * The error reading or writing the channel failed with (the duplex was
   * destroyed with it), or `null`. Node's TLS socket above ends as if the
   * peer had closed when the connection fails under it: this tells a reset or
   * a broken pipe from an end.
   */
  get failure(): Error | null {
    return this.#failure;
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
        if (this.#readsHeld) {
          this.#readWanted = true;
          return;
        }
        const view = this.#readView();
        const n = await this.#channel.read(view);
        if (this.destroyed) return;
        if (n === null) {
          this.push(null);
          return;
        }
        if (view.buffer === this.#slab.buffer) this.#slabOffset += n;
        this.#adaptReadSize(n, view.length);
        if (!this.push(view.subarray(0, n))) return;
      }
    } catch (err) {
      // Once destroyed, the read failed because `_destroy` closed the channel.
      if (this.destroyed) return;
      this.#failure ??= toError(err);
      this.destroy(this.#failure);
    } finally {
      this.#pump = null;
    }
  }

  /** Where the next read lands: an array of its own, or the slab's next free part. */
  #readView(): Uint8Array {
    const size = this.#readSize;
    if (size < SLAB_READ_SIZE) {
      // Not kept for later: node may still hold the slab's chunks, but nothing here does.
      this.#slab = EMPTY;
      return new Uint8Array(size);
    }
    if (this.#slab.length - this.#slabOffset < SLAB_READ_SIZE) {
      this.#slab = new Uint8Array(SLAB_SIZE);
      this.#slabOffset = 0;
    }
    return this.#slab.subarray(this.#slabOffset, this.#slabOffset + size);
  }

  /**
   * A read that fills its array doubles the next; one of an eighth or less
   * halves it; a tiny one (a request after a transfer, or nothing much) drops
   * to the smallest at once, so that a connection gone quiet after a bulk
   * transfer does not pin a slab with its pending read.
   */
  #adaptReadSize(count: number, length: number): void {
    const size = this.#readSize;
    if (count === size) this.#readSize = Math.min(MAX_READ_SIZE, 2 * size);
    else if (count <= length / TINY_BELOW) this.#readSize = MIN_READ_SIZE;
    else if (count <= length / SHRINK_BELOW) this.#readSize = Math.max(MIN_READ_SIZE, size / 2);
  }

  /**
   * A write that fails is the duplex's {@linkcode failure}; one that fails
   * because the duplex was destroyed meanwhile (node's TLS socket ends itself
   * at the peer's close) fails as a broken pipe, as on a socket the peer has
   * left, not with the cancellation of our own op.
   */
  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (err?: Error | null) => void,
  ): void {
    this.#writeAll(chunk).then(() => callback(), (err) => {
      if (!this.destroyed) {
        this.#failure ??= toError(err);
        return callback(this.#failure);
      }
      const gone = new Deno.errors.BrokenPipe("the connection under TLS was closed");
      callback(Object.assign(gone, { cause: err }));
    });
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
