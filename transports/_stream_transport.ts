/**
 * The one stream transport state machine: read loop, write buffer, flow
 * control, EOF and close handling. TCP, Unix, TLS, pipes and subprocess pipes
 * differ only in the byte channel and extra info they hand it.
 */

import type { EventLoop } from "../loop/event_loop.ts";
import { InvalidStateError } from "../loop/errors.ts";
import type { ByteChannel } from "./_channel.ts";
import { asBytes, isDisconnect, toError } from "./_bytes.ts";
import { WriteFlowControl } from "./_flow_control.ts";
import { reportToLoop } from "./_report.ts";
import { Transport } from "./transport.ts";

/** The callbacks a stream transport may call; a protocol may have any subset. */
export interface StreamProtocol {
  connectionMade?(transport: Transport): void;
  connectionLost?(exc: Error | null): void;
  pauseWriting?(): void;
  resumeWriting?(): void;
  dataReceived?(data: Uint8Array): void;
  eofReceived?(): unknown;
  getBuffer?(sizeHint: number): ArrayBufferView;
  bufferUpdated?(nbytes: number): void;
}

/** Which directions a stream transport carries. */
export type StreamMode = "duplex" | "read" | "write";

/** What the creator of a stream transport supplies. */
export interface StreamTransportInit {
  loop: EventLoop;
  channel: ByteChannel;
  protocol: StreamProtocol;
  extra: Record<string, unknown>;
  /** `"read"` and `"write"` make pipe transports. */
  mode?: StreamMode;
  /** Called right after `connectionLost`, for the owner (server, subprocess). */
  onLost?: (transport: StreamTransport, exc: Error | null) => void;
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
/** A written-out write buffer larger than this is dropped rather than kept for reuse. */
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

/**
 * A {@linkcode Transport} over a {@linkcode ByteChannel}. Made by the loop's
 * methods; users see it as a `Transport`, `ReadTransport` or `WriteTransport`.
 */
export class StreamTransport extends Transport {
  readonly #loop: EventLoop;
  readonly #channel: ByteChannel;
  readonly #mode: StreamMode;
  readonly #onLost: StreamTransportInit["onLost"];
  readonly #flow: WriteFlowControl;
  #protocol: StreamProtocol;
  #buffered = false;

  /** `close()`, `abort()` or a fatal error happened: no more reads, no new writes. */
  #closing = false;
  /** The transport is torn down; `connectionLost` is on its way or done. */
  #lost = false;
  #paused = false;
  #eofReceived = false;
  #eofWritten = false;

  #reader: Promise<void> | null = null;
  #held: HeldRead | null = null;
  /**
   * Where a `Protocol`'s reads land, reused read after read: each read is
   * copied out to an array of its exact size for `dataReceived`. Its size
   * follows the reads (`#readSize`), so an idle connection holds a small one.
   */
  #readBuffer: Uint8Array = EMPTY;
  #readSize = MIN_READ_SIZE;

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
    this.#loop = init.loop;
    this.#channel = init.channel;
    this.#mode = init.mode ?? "duplex";
    this.#onLost = init.onLost;
    this.#protocol = init.protocol;
    this.#buffered = typeof init.protocol.getBuffer === "function";
    this.#flow = new WriteFlowControl(this.#loop, this, () => this.#protocol);
  }

  /**
   * Calls `connectionMade`, then starts reading. If `connectionMade` throws,
   * the transport is torn down as for any failed callback (the exception
   * handler has the error) and the error is returned.
   */
  start(): Error | null {
    try {
      this.#protocol.connectionMade?.(this);
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.connectionMade() call failed.");
      return toError(err);
    }
    if (this.#mode !== "write") this.#startReading();
    return null;
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
    if (typeof protocol !== "object" || protocol === null) {
      throw new TypeError("setProtocol: 'protocol' must be an object");
    }
    this.#protocol = protocol as StreamProtocol;
    this.#buffered = typeof this.#protocol.getBuffer === "function";
  }

  getProtocol(): object {
    return this.#protocol;
  }

  // ReadTransport

  isReading(): boolean {
    return this.#mode !== "write" && !this.#paused && !this.#closing && !this.#eofReceived;
  }

  pauseReading(): void {
    if (this.#closing || this.#mode === "write") return;
    this.#paused = true;
  }

  resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    this.#startReading();
  }

  /** Starts the read loop unless it runs or has nothing to do (it must not end synchronously). */
  #startReading(): void {
    if (this.#reader !== null || this.#eofReceived || this.#paused || this.#closing) return;
    this.#reader = this.#readLoop();
  }

  /**
   * Reads until paused, closing or EOF. A read in flight when reading pauses
   * is held and delivered on resume; one in flight when the transport closes
   * is dropped.
   */
  async #readLoop(): Promise<void> {
    try {
      while (!this.#paused && !this.#closing) {
        let buffer: Uint8Array;
        let count: number | null;
        let target: ReadTarget;
        const held = this.#held;
        if (held !== null) {
          this.#held = null;
          ({ buffer, count, target } = held);
          await undefined; // resumeReading() never calls back synchronously
        } else {
          target = this.#buffered ? "protocol" : this.#channel.readOwned ? "owned" : "own";
          try {
            if (target === "owned") {
              const data = await this.#channel.readOwned!();
              buffer = data ?? EMPTY;
              count = data === null ? null : data.length;
            } else {
              const next = target === "protocol" ? this.#protocolBuffer() : this.#ownBuffer();
              if (next === null) return;
              buffer = next;
              count = await this.#channel.read(buffer);
            }
          } catch (err) {
            if (!this.#closing) this.#fatalError(err, "Fatal read error on stream transport");
            return;
          }
        }
        if (this.#closing) return;
        if (this.#paused) {
          this.#held = { buffer, count, target };
          return;
        }
        if (count === null) return this.#receiveEof();
        this.#deliver(buffer, count, target);
      }
    } finally {
      this.#reader = null;
    }
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
      buffer = asBytes(this.#protocol.getBuffer!(-1), "getBuffer() result");
      if (buffer.length === 0) throw new RangeError("getBuffer() returned an empty buffer");
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.getBuffer() call failed.");
      return null;
    }
    return buffer;
  }

  #deliver(buffer: Uint8Array, count: number, target: ReadTarget): void {
    const protocol = this.#protocol;
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
      this.#fatalError(err, `Fatal error: protocol.${callback}() call failed.`);
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
    const protocol = this.#protocol;
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
      keepOpen = this.#protocol.eofReceived?.();
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.eofReceived() call failed.");
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
    const all = Array.from(
      chunks,
      (chunk, i) => this.#checkWrite(chunk, `writelines: 'chunks[${i}]'`),
    );
    if (this.#closing) return;
    for (const bytes of all) this.#append(bytes);
    if (this.#fillLength > 0) this.#startFlush();
  }

  writeEof(): void {
    if (!this.canWriteEof()) {
      throw new Deno.errors.NotSupported(
        "writeEof: this transport cannot half-close (TLS has no half-close)",
      );
    }
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    if (this.#mode === "write") this.close();
    else if (this.#writer === null) this.#writer = this.#shutdownWrite();
  }

  #checkWrite(data: Uint8Array, what: string): Uint8Array {
    if (this.#mode === "read") throw new TypeError("write: this is a read-only transport");
    const bytes = asBytes(data, what);
    if (this.#eofWritten) throw new InvalidStateError("write: cannot write after writeEof()");
    return bytes;
  }

  /** Copies `bytes` into the write buffer: the caller may reuse its array at once. */
  #append(bytes: Uint8Array): void {
    const length = this.#fillLength + bytes.length;
    if (length > this.#fill.length) {
      const grown = new Uint8Array(Math.max(length, 2 * this.#fill.length));
      grown.set(this.#fill.subarray(0, this.#fillLength));
      this.#fill = grown;
    }
    this.#fill.set(bytes, this.#fillLength);
    this.#fillLength = length;
    this.#bufferSize += bytes.length;
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
      while (this.#fillLength > 0) {
        const full = this.#fill;
        const out = full.subarray(0, this.#fillLength);
        this.#fill = this.#spare ?? EMPTY;
        this.#fillLength = 0;
        this.#spare = null;
        for (let sent = 0; sent < out.length;) {
          const n = await this.#channel.write(sent === 0 ? out : out.subarray(sent));
          if (this.#lost) return;
          sent += n;
          this.#bufferSize -= n;
          this.#flow.maybeResume(this.#bufferSize);
        }
        if (full.length <= MAX_RETAINED_WRITE_BUFFER) this.#spare = full;
      }
      this.#fill = EMPTY;
      this.#spare = null;
    } catch (err) {
      if (!this.#lost) this.#fatalError(err, "Fatal write error on stream transport");
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
      if (!this.#lost) this.#fatalError(err, "Fatal error: half-closing the stream failed");
      return;
    } finally {
      this.#writer = null;
    }
    if (this.#closing) this.#teardown(null);
  }

  /**
   * Takes the channel out of the transport without `connectionLost`, for an
   * upgrade in place (`startTls`): reading stops, the read in flight and the
   * write buffer finish, then the transport ends as if closed and its owner
   * is told. Resolves the channel with the bytes read but not yet delivered
   * (`null` if that read hit EOF); rejects if the transport closes first.
   */
  async detachChannel(): Promise<{ channel: ByteChannel; unread: Uint8Array | null }> {
    if (this.#closing) throw new InvalidStateError("detachChannel: the transport is closing");
    this.#paused = true;
    while (this.#reader !== null || this.#writer !== null) {
      await this.#reader;
      await this.#writer;
    }
    if (this.#closing) throw new InvalidStateError("detachChannel: the transport was closed");
    this.#closing = true;
    this.#lost = true;
    const held = this.#held;
    this.#held = null;
    this.#fill = EMPTY;
    this.#spare = null;
    this.#onLost?.(this, null);
    const unread = held === null
      ? EMPTY
      : held.count === null
      ? null
      : held.buffer.slice(0, held.count);
    return { channel: this.#channel, unread };
  }

  // Teardown

  /**
   * The single error path: reports `err` to the loop's exception handler
   * (unless it is a peer disconnect), then tears down with it.
   */
  #fatalError(err: unknown, message: string): void {
    this.#teardown(
      isDisconnect(err)
        ? toError(err)
        : reportToLoop(this.#loop, message, err, this, this.#protocol),
    );
  }

  /**
   * Drops the write buffer, releases the channel, waits for the read and
   * write in flight to settle, then calls `connectionLost(exc)`: once, last,
   * and never synchronously.
   */
  #teardown(exc: Error | null): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#closing = true;
    this.#held = null;
    this.#fill = EMPTY;
    this.#spare = null;
    this.#fillLength = 0;
    this.#bufferSize = 0;
    const released = this.#channel.close();
    Promise.allSettled([released, this.#reader, this.#writer]).then(() =>
      this.#connectionLost(exc)
    );
  }

  #connectionLost(exc: Error | null): void {
    const protocol = this.#protocol;
    try {
      protocol.connectionLost?.(exc);
    } catch (err) {
      reportToLoop(this.#loop, "Exception in protocol.connectionLost()", err, this, protocol);
    } finally {
      this.#onLost?.(this, exc);
    }
  }
}
