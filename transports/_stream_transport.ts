/**
 * The one stream transport state machine: reads, write buffer, flow
 * control, EOF and close handling. TCP, Unix, TLS, pipes and subprocess pipes
 * differ only in the byte channel and extra info they hand it.
 */

import { InvalidStateError } from "../errors.ts";
import type { ByteChannel } from "./_channel.ts";
import { asBytes } from "../_util/bytes.ts";
import { type FlowControlCallbacks, WriteFlowControl } from "./_flow_control.ts";
import type { TransportLoop } from "../_util/report.ts";
import { TransportLifecycle } from "./_lifecycle.ts";
import {
  giveBackWriteBuffer,
  MAX_POOLED_WRITE_BUFFER,
  takeWriteBuffer,
} from "./_write_buffer_pool.ts";
import { ReadPipeTransport, WritePipeTransport } from "./_pipe_transports.ts";
import { type ReadTransport, Transport, type WriteTransport } from "./transport.ts";

/** The callbacks a stream transport may call; a protocol may have any subset. */
export interface StreamCallbacks extends FlowControlCallbacks {
  connectionMade?(transport: Transport | ReadTransport | WriteTransport): void;
  dataReceived?(data: Uint8Array): void;
  eofReceived?(): unknown;
  getBuffer?(sizeHint: number): ArrayBufferView;
  bufferUpdated?(nbytes: number): void;
}

/** The write side of a stream transport while `sendfile` holds it. */
export interface WriteReservation {
  /** Appends to the write buffer, as `write()` would without the reservation. */
  write(data: Uint8Array): void;
  /** Resolves when the write buffer is empty or the transport is torn down. */
  drained(): Promise<void>;
  /** Gives the write side back to the user. */
  release(): void;
}

/** Which directions a stream transport carries. */
export type StreamMode = "duplex" | "read" | "write";

/** What the creator of a stream transport supplies. */
export interface StreamTransportInit {
  loop: TransportLoop;
  channel: ByteChannel;
  protocol: StreamCallbacks;
  extra: Record<string, unknown>;
  /** `"read"` and `"write"` make pipe transports. */
  mode?: StreamMode;
  /** Called right after `connectionLost`, for the owner (server, subprocess). */
  onLost?: (transport: StreamTransport, exc: Error | null) => void;
}

/** What {@linkcode StreamTransport.detachChannel} hands to the channel's new owner. */
export interface DetachedChannel {
  channel: ByteChannel;
  /** Bytes read but not delivered, in order; `null` if the peer's EOF was read. */
  unread: Uint8Array | null;
  /**
   * The read that was in flight, adopted: its bytes (`null` at EOF), or its
   * error. `null` if no read was in flight.
   */
  pendingRead: Promise<Uint8Array | null> | null;
}

/** asyncio's `max_size`: the most one read asks for. */
const MAX_READ_SIZE = 256 * 1024;
/**
 * A `Protocol`'s smallest read, and the read buffer an idle connection pins
 * (a pending read cannot be cancelled or share its buffer): node:net's idle
 * cost per connection is a few KiB, so this must stay well under that.
 */
const MIN_READ_SIZE = 1024;
/** A read of at most 1/SHRINK_BELOW of the read buffer halves it (the gap avoids see-saws). */
const SHRINK_BELOW = 8;
/**
 * The most the coalescing write buffer grows to, and the largest written-out
 * one kept for reuse while a flush goes on. Writes past it are queued as their
 * own exact-size copies: a huge write followed by a small one must not double
 * (and copy) the huge buffer.
 */
const MAX_RETAINED_WRITE_BUFFER = 1024 * 1024;
const EMPTY = new Uint8Array(0);

/** A read that completed while reading was paused, delivered on resume. */
interface HeldRead {
  buffer: Uint8Array;
  count: number | null;
  target: ReadTarget;
}

/**
 * Where a read landed: the `BufferedProtocol`'s buffer, the transport's read
 * buffer, or a new array from the channel's `readOwned` that the protocol can keep.
 */
type ReadTarget = "protocol" | "own" | "owned";

/** A read's bytes as an array of their own (the transport's or protocol's memory is not kept). */
function copyRead({ buffer, count, target }: HeldRead): Uint8Array | null {
  if (count === null) return null;
  return target === "owned" ? buffer : buffer.slice(0, count);
}

/**
 * A {@linkcode Transport} over a {@linkcode ByteChannel}. Made by the loop's
 * methods; users see a duplex one as it is, a one-way one through its
 * {@linkcode facade}.
 */
export class StreamTransport extends Transport {
  /**
   * What users and the protocol see: the transport itself, or for a pipe a
   * `ReadTransport` or `WriteTransport` that has only that direction's methods.
   */
  readonly facade: Transport | ReadTransport | WriteTransport;
  readonly #life: TransportLifecycle<StreamCallbacks>;
  readonly #channel: ByteChannel;
  readonly #mode: StreamMode;
  readonly #onLost: StreamTransportInit["onLost"];
  readonly #flow: WriteFlowControl;
  #buffered = false;

  /** `close()`, `abort()` or a fatal error happened: no more reads, no new writes. */
  #closing = false;
  #paused = false;
  /** `pauseReading()` was called while the current read was in flight. */
  #pausedMidRead = false;
  #eofReceived = false;
  #eofWritten = false;
  /** `sendfile` holds the write side (asyncio's `_empty_waiter`): the user's writes throw. */
  #writesReserved = false;

  /** The read chain's pending step: a read in flight, or a held read's delivery. */
  #reader: Promise<void> | null = null;
  /** Where the read in flight lands, and the array it fills (not an owned read's). */
  #readTarget: ReadTarget = "own";
  #readInto: Uint8Array = EMPTY;
  #held: HeldRead | null = null;
  /** Set by `detachChannel`: the outcome of the read in flight goes to the channel's new owner. */
  #adopter: PromiseWithResolvers<HeldRead> | null = null;
  /**
   * Where a `Protocol`'s reads land, reused read after read: each read is
   * copied out to an array of its exact size for `dataReceived`. Its size
   * follows the reads (`#readSize`), so an idle connection holds a small one.
   */
  #readBuffer: Uint8Array = EMPTY;
  #readSize = MIN_READ_SIZE;

  /** Buffered bytes older than `#fill`'s, each chunk sent as is, in order, before it. */
  #queued: Uint8Array[] | null = null;
  /** Writes are appended here, then sent from here by `#flush`. */
  #fill: Uint8Array = EMPTY;
  #fillLength = 0;
  /** The array `#flush` last wrote out, kept to become the next `#fill`. */
  #spare: Uint8Array | null = null;
  #bufferSize = 0;
  /** Write-side activity: the flush loop, and the half-close after it. */
  #writer: Promise<void> | null = null;

  constructor(init: StreamTransportInit) {
    super(init.extra);
    this.#mode = init.mode ?? "duplex";
    this.facade = this.#mode === "read"
      ? new ReadPipeTransport(this, init.extra)
      : this.#mode === "write"
      ? new WritePipeTransport(this, init.extra)
      : this;
    this.#life = new TransportLifecycle(init.loop, this.facade, init.protocol, this.#fail);
    this.#channel = init.channel;
    this.#onLost = init.onLost;
    this.#buffered = typeof init.protocol.getBuffer === "function";
    this.#flow = new WriteFlowControl(this.#life);
  }

  /**
   * Calls `connectionMade`, then starts reading. If `connectionMade` throws,
   * the transport is torn down as for any failed callback (the exception
   * handler has the error) and the error is returned. `connected`: the
   * protocol is already connected (a transport upgraded in place by
   * `startTls`), so only reading starts, with no second `connectionMade`.
   */
  start(connected = false): Error | null {
    const failure = connected ? null : this.#life.connectionMade();
    if (failure === null && this.#mode !== "write") this.#startReading();
    return failure;
  }

  // BaseTransport

  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#writer === null) this.#teardown(null);
  }

  isClosing(): boolean {
    return this.#closing;
  }

  setProtocol(protocol: object): void {
    // Read before the swap: a throwing getter leaves the transport as it was.
    const buffered = typeof (protocol as StreamCallbacks | null)?.getBuffer === "function";
    this.#life.setProtocol(protocol);
    this.#buffered = buffered;
  }

  getProtocol(): object {
    return this.#life.protocol;
  }

  // ReadTransport

  isReading(): boolean {
    // asyncio's: after an EOF the protocol keeps open it stays true (nothing more is read).
    return !this.#paused && !this.#closing;
  }

  pauseReading(): void {
    if (this.#closing) return;
    this.#paused = true;
    this.#pausedMidRead = true;
  }

  resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    this.#startReading();
  }

  /** Starts reading unless a read is under way or there is nothing to read. */
  #startReading(): void {
    if (this.#reader !== null || this.#eofReceived || this.#paused || this.#closing) return;
    if (this.#adopter !== null) return;
    this.#readNext();
  }

  /**
   * Starts the next read, or schedules the held one. Reading is a chain of
   * callbacks, not an async loop: an idle connection then holds one pending
   * promise, not a suspended function with its frame, context and await
   * closures. `#reader` stays set from here until the chain stops, through
   * the protocol's callbacks, so a `resumeReading()` in them starts nothing.
   */
  #readNext(): void {
    this.#pausedMidRead = false;
    const held = this.#held;
    if (held !== null) {
      this.#held = null;
      this.#deliverNextTurn(held.buffer, held.count, held.target);
      return;
    }
    const target = this.#buffered ? "protocol" : this.#channel.readOwned ? "owned" : "own";
    let read: Promise<number | Uint8Array | null>;
    try {
      if (target === "owned") read = this.#channel.readOwned!();
      else {
        const buffer = target === "protocol" ? this.#protocolBuffer() : this.#ownBuffer();
        if (buffer === null) return this.#stopReading();
        this.#readInto = buffer;
        read = this.#channel.read(buffer);
      }
    } catch (err) {
      return this.#readFailed(err);
    }
    this.#readTarget = target;
    this.#reader = read.then(this.#readDone, this.#readFailed);
  }

  /**
   * The lifecycle's teardown on a fatal error. This and the read callbacks
   * are field initializers so that they share one context: every closure a
   * transport holds costs an idle connection memory.
   */
  readonly #fail = (exc: Error): void => this.#teardown(exc);

  /** The read in flight resolved: its count, or its array for an owned read. */
  readonly #readDone = (result: number | Uint8Array | null): void => {
    const target = this.#readTarget;
    let buffer = this.#readInto;
    let count: number | null;
    if (target === "owned") {
      buffer = result === null ? EMPTY : result as Uint8Array;
      count = result === null ? null : buffer.length;
    } else count = result as number | null;
    // Not kept past the read: the protocol's buffer is the protocol's.
    this.#readInto = EMPTY;
    if (this.#pausedMidRead && !this.#paused) this.#deliverNextTurn(buffer, count, target);
    else this.#readComplete(buffer, count, target);
  };

  /** The read in flight rejected: the new owner of a detached channel gets the error. */
  readonly #readFailed = (err: unknown): void => {
    if (this.#adopter !== null) this.#adopter.reject(err);
    else if (!this.#closing) this.#life.fatalError(err, "Fatal read error on stream transport");
    this.#stopReading();
  };

  /**
   * Bytes read while reading was paused are delivered on a later loop turn, as
   * by asyncio's re-armed reader: never inside resumeReading() nor on its
   * turn, but after the code that resumed runs on (sendfile's caller) and the
   * callbacks it scheduled.
   */
  #deliverNextTurn(buffer: Uint8Array, count: number | null, target: ReadTarget): void {
    this.#reader = new Promise<void>((resolve) => this.#life.loop.callSoon(resolve))
      .then(() => this.#readComplete(buffer, count, target));
  }

  /**
   * Hands a completed read on: to the channel's new owner, to the protocol,
   * or holds it while reading is paused; then reads on. A read that completes
   * once the transport is closing is dropped.
   */
  #readComplete(buffer: Uint8Array, count: number | null, target: ReadTarget): void {
    const adopter = this.#adopter;
    if (adopter !== null) adopter.resolve({ buffer, count, target });
    else if (!this.#closing) {
      if (this.#paused) this.#held = { buffer, count, target };
      else if (count === null) this.#receiveEof();
      else {
        this.#deliver(buffer, count, target);
        if (!this.#paused && !this.#closing) return this.#readNext();
      }
    }
    this.#stopReading();
  }

  /** Ends the read chain; a `detachChannel` from one of its callbacks learns no read is in flight. */
  #stopReading(): void {
    this.#reader = null;
    this.#adopter?.resolve({ buffer: EMPTY, count: 0, target: "owned" });
  }

  #ownBuffer(): Uint8Array {
    if (this.#readBuffer.length !== this.#readSize) {
      this.#readBuffer = new Uint8Array(this.#readSize);
    }
    return this.#readBuffer;
  }

  #protocolBuffer(): Uint8Array | null {
    let buffer: Uint8Array;
    try {
      buffer = asBytes(this.#life.protocol.getBuffer!(-1), "getBuffer() result");
      if (buffer.length === 0) throw new RangeError("getBuffer() returned an empty buffer");
    } catch (err) {
      this.#life.fatalError(err, "Fatal error: protocol.getBuffer() call failed.");
      return null;
    }
    return buffer;
  }

  #deliver(buffer: Uint8Array, count: number, target: ReadTarget): void {
    const protocol = this.#life.protocol;
    try {
      if (this.#buffered) {
        if (target === "protocol") protocol.bufferUpdated?.(count);
        else this.#feedBufferedProtocol(buffer.subarray(0, count));
      } else if (target === "owned") {
        protocol.dataReceived?.(buffer);
      } else if (target === "protocol") {
        protocol.dataReceived?.(buffer.slice(0, count));
      } else {
        protocol.dataReceived?.(this.#takeReceived(buffer, count));
      }
    } catch (err) {
      const callback = this.#buffered ? "bufferUpdated" : "dataReceived";
      this.#life.fatalError(err, `Fatal error: protocol.${callback}() call failed.`);
    }
  }

  /**
   * The received bytes copied out of the read buffer into an array the
   * protocol owns: copying out of one reused buffer measured faster than
   * handing over views of fresh memory, and holds no memory once delivered.
   * A read that fills the buffer doubles the next one; a small one halves it.
   */
  #takeReceived(buffer: Uint8Array, count: number): Uint8Array {
    if (count === buffer.length) this.#readSize = Math.min(MAX_READ_SIZE, 2 * buffer.length);
    else if (count <= buffer.length / SHRINK_BELOW) {
      this.#readSize = Math.max(MIN_READ_SIZE, buffer.length / 2);
    }
    return buffer.slice(0, count);
  }

  /** Copies bytes read before a switch to a buffered protocol into its buffers. */
  #feedBufferedProtocol(data: Uint8Array): void {
    const protocol = this.#life.protocol;
    let offset = 0;
    while (offset < data.length) {
      const target = asBytes(protocol.getBuffer!(data.length - offset), "getBuffer() result");
      if (target.length === 0) throw new RangeError("getBuffer() returned an empty buffer");
      const n = Math.min(target.length, data.length - offset);
      target.set(data.subarray(offset, offset + n));
      offset += n;
      protocol.bufferUpdated?.(n);
    }
  }

  #receiveEof(): void {
    this.#eofReceived = true;
    let keepOpen: unknown;
    try {
      keepOpen = this.#life.protocol.eofReceived?.();
    } catch (err) {
      this.#life.fatalError(err, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (!keepOpen || !this.#canHalfClose()) this.close();
  }

  // WriteTransport

  abort(): void {
    this.#teardown(null);
  }

  canWriteEof(): boolean {
    return this.#mode === "write" || this.#canHalfClose();
  }

  #canHalfClose(): boolean {
    return this.#mode === "duplex" && this.#channel.canCloseWrite;
  }

  getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  getWriteBufferLimits(): [low: number, high: number] {
    return [this.#flow.low, this.#flow.high];
  }

  setWriteBufferLimits(high?: number, low?: number): void {
    this.#flow.setLimits(high, low);
    this.#flow.maybePause(this.#bufferSize);
  }

  write(data: Uint8Array): void {
    const bytes = this.#checkWrite(data, "write: 'data'");
    if (this.#closing || bytes.length === 0) return;
    this.#append(bytes);
    this.#startFlush();
  }

  writelines(chunks: Iterable<Uint8Array>): void {
    if (chunks === null || typeof chunks !== "object" || !(Symbol.iterator in chunks)) {
      throw new TypeError("writelines: 'chunks' must be an iterable of Uint8Array");
    }
    if (this.#eofWritten) throw new InvalidStateError("writelines: cannot write after writeEof()");
    this.#checkNotReserved("writelines");
    const all = Array.from(
      chunks,
      (chunk, i) => this.#checkWrite(chunk, `writelines: 'chunks[${i}]'`),
    );
    if (this.#closing) return;
    for (const bytes of all) this.#append(bytes);
    if (this.#bufferSize > 0) this.#startFlush();
  }

  writeEof(): void {
    if (!this.canWriteEof()) {
      throw new Deno.errors.NotSupported(
        "writeEof: this transport cannot half-close (TLS has no half-close)",
      );
    }
    this.#checkNotReserved("writeEof");
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    if (this.#mode === "write") this.close();
    else if (this.#writer === null) this.#writer = this.#shutdownWrite();
  }

  #checkWrite(data: Uint8Array, what: string): Uint8Array {
    const bytes = asBytes(data, what);
    if (this.#eofWritten) throw new InvalidStateError("write: cannot write after writeEof()");
    this.#checkNotReserved("write");
    return bytes;
  }

  #checkNotReserved(method: string): void {
    if (this.#writesReserved) throw new InvalidStateError(`${method}: sendfile is in progress`);
  }

  /**
   * Gives the write side to `sendfile` until `release()`: meanwhile the
   * user's `write`, `writelines` and `writeEof` throw, so no byte lands in
   * the middle of the file's.
   *
   * @throws {TypeError} on a read-only transport
   * @throws {InvalidStateError} if another `sendfile` holds it
   */
  reserveWrites(): WriteReservation {
    if (this.#mode === "read") throw new TypeError("sendfile: this is a read-only transport");
    this.#checkNotReserved("sendfile");
    this.#writesReserved = true;
    return {
      write: (data) => {
        if (this.#closing || data.length === 0) return;
        this.#append(data);
        this.#startFlush();
      },
      drained: async () => {
        while (this.#writer !== null && !this.#life.lost) await this.#writer;
      },
      release: () => this.#writesReserved = false,
    };
  }

  /** Copies `bytes` into the write buffer: the caller may reuse its array at once. */
  #append(bytes: Uint8Array): void {
    this.#bufferSize += bytes.length;
    const length = this.#fillLength + bytes.length;
    if (length > this.#fill.length) {
      if (length > MAX_RETAINED_WRITE_BUFFER) {
        this.#queued ??= [];
        if (this.#fillLength > 0) this.#queued.push(this.#fill.subarray(0, this.#fillLength));
        this.#fill = EMPTY;
        this.#fillLength = 0;
        if (bytes.length > MAX_RETAINED_WRITE_BUFFER / 2) {
          this.#queued.push(bytes.slice());
          return;
        }
      }
      const size = Math.max(length, Math.min(2 * this.#fill.length, MAX_RETAINED_WRITE_BUFFER));
      const grown = size <= MAX_POOLED_WRITE_BUFFER ? takeWriteBuffer(size) : new Uint8Array(size);
      grown.set(this.#fill.subarray(0, this.#fillLength));
      giveBackWriteBuffer(this.#fill);
      this.#fill = grown;
    }
    this.#fill.set(bytes, this.#fillLength);
    this.#fillLength += bytes.length;
  }

  #startFlush(): void {
    this.#writer ??= this.#flush();
    this.#flow.maybePause(this.#bufferSize);
  }

  /**
   * Sends the write buffer until it is empty, swapping it with the spare so
   * that writes made meanwhile go on being appended; then drops both (an
   * idle connection holds no write buffer) and finishes a pending `close()`
   * or `writeEof()`.
   */
  async #flush(): Promise<void> {
    await undefined; // coalesce the writes of the current callback into one send
    try {
      while (this.#fillLength > 0 || (this.#queued !== null && this.#queued.length > 0)) {
        let out = this.#queued?.shift();
        let full: Uint8Array | null = null;
        if (out === undefined) {
          full = this.#fill;
          out = full.subarray(0, this.#fillLength);
          this.#fill = this.#spare ?? EMPTY;
          this.#fillLength = 0;
          this.#spare = null;
        }
        for (let sent = 0; sent < out.length;) {
          const n = await this.#channel.write(sent === 0 ? out : out.subarray(sent));
          if (this.#life.lost) return;
          sent += n;
          this.#bufferSize -= n;
          this.#flow.maybeResume(this.#bufferSize);
        }
        if (full !== null && full.length <= MAX_RETAINED_WRITE_BUFFER) this.#spare = full;
      }
      this.#releaseWriteBuffers();
    } catch (err) {
      if (!this.#life.lost) this.#life.fatalError(err, "Fatal write error on stream transport");
      return;
    } finally {
      this.#writer = null;
    }
    if (this.#closing) this.#teardown(null);
    else if (this.#eofWritten) this.#writer = this.#shutdownWrite();
  }

  async #shutdownWrite(): Promise<void> {
    try {
      await this.#channel.closeWrite();
    } catch (err) {
      if (!this.#life.lost) {
        this.#life.fatalError(err, "Fatal error: half-closing the stream failed");
      }
      return;
    } finally {
      this.#writer = null;
    }
    if (this.#closing) this.#teardown(null);
  }

  /**
   * Takes the channel out of the transport without `connectionLost`, for an
   * upgrade in place (`startTls`): reading stops at once, the read in flight
   * is adopted by the new owner (in STARTTLS the peer sends nothing until the
   * upgrade speaks, so it cannot be waited for), the write buffer is flushed,
   * then the transport ends as if closed and its owner is told. Rejects if the
   * transport closes first.
   */
  async detachChannel(): Promise<DetachedChannel> {
    if (this.#closing || this.#adopter !== null) {
      throw new InvalidStateError("detachChannel: the transport is closing");
    }
    this.#paused = true;
    const adopter = this.#adopter = Promise.withResolvers<HeldRead>();
    const hadReader = this.#reader !== null;
    do await this.#writer; while (this.#writer !== null);
    // Called from a callback of the read chain, the chain has ended with no read in flight.
    let pendingRead: Promise<Uint8Array | null> | null = null;
    if (this.#reader !== null) pendingRead = adopter.promise.then(copyRead);
    else if (hadReader) {
      const read = await adopter.promise.then((held) => held, () => null);
      if (read === null) pendingRead = adopter.promise.then(copyRead);
      else if (read.count !== 0) this.#held = read;
    }
    pendingRead?.catch(() => {});
    if (this.#closing) throw new InvalidStateError("detachChannel: the transport was closed");
    this.#closing = true;
    this.#life.markLost();
    const held = this.#held;
    this.#held = null;
    this.#queued = null;
    this.#releaseWriteBuffers();
    this.#onLost?.(this, null);
    const unread = held === null ? EMPTY : copyRead(held);
    return { channel: this.#channel, unread, pendingRead };
  }

  /**
   * Gives the write buffers back to the pool once nothing in them is to be
   * sent (the array a write in flight reads from is neither of them).
   */
  #releaseWriteBuffers(): void {
    giveBackWriteBuffer(this.#fill);
    giveBackWriteBuffer(this.#spare);
    this.#fill = EMPTY;
    this.#spare = null;
  }

  // Teardown

  /**
   * Drops the write buffer, releases the channel, waits for the read and
   * write in flight to settle, then calls `connectionLost(exc)`: once, last,
   * and never synchronously.
   */
  #teardown(exc: Error | null): void {
    if (!this.#life.markLost()) return;
    this.#closing = true;
    this.#held = null;
    this.#queued = null;
    this.#releaseWriteBuffers();
    this.#fillLength = 0;
    this.#bufferSize = 0;
    const released = this.#channel.close();
    const onLost = this.#onLost;
    this.#life.connectionLost(
      exc,
      Promise.allSettled([released, this.#reader, this.#writer]),
      onLost && (() => onLost(this, exc)),
    );
  }
}
