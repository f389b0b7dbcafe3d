/**
 * The streaming protocol with a receive buffer of its own.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";

/**
 * A streaming protocol that supplies its own receive buffer: the transport
 * reads straight into the array `getBuffer` returns, then calls
 * `bufferUpdated(n)`, with no copy. The array stays the protocol's; it is
 * never detached or kept by the transport.
 *
 * State machine:
 *
 * ```
 * start -> connectionMade
 *     [-> getBuffer
 *         [-> bufferUpdated]?
 *     ]*
 *     [-> eofReceived]?
 *     -> connectionLost -> end
 * ```
 *
 * @example Counting bytes into one reused buffer
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BufferedProtocol } from "@aio/transports";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * class Counter extends BufferedProtocol {
 *   readonly buffer = new Uint8Array(1024);
 *   total = 0;
 *   readonly done = Promise.withResolvers<void>();
 *   override getBuffer(_sizeHint: number) {
 *     return this.buffer;
 *   }
 *   override bufferUpdated(nbytes: number) {
 *     this.total += nbytes;
 *   }
 *   override connectionLost() {
 *     this.done.resolve();
 *   }
 * }
 *
 * const [[a, pa], [, counter]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new Counter(),
 * );
 * a.write(new Uint8Array(5000));
 * a.close();
 * await Promise.all([pa.lost, counter.done.promise]);
 * assertEquals(counter.total, 5000);
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  /**
   * Returns the array the next read fills; subclasses must override it.
   *
   * @param _sizeHint A suggested minimum size (`-1`: any size).
   * @returns A non-empty array (returning an empty one is a fatal
   * `RangeError` for the transport).
   * @throws {TypeError} If a subclass did not override it.
   *
   * @example The base method throws
   * ```ts
   * import { assertThrows } from "@std/assert";
   * import { BufferedProtocol } from "@aio/transports";
   *
   * assertThrows(() => new BufferedProtocol().getBuffer(-1), TypeError);
   * ```
   */
  getBuffer(_sizeHint: number): Uint8Array {
    throw new TypeError("BufferedProtocol subclasses must override getBuffer()");
  }

  /**
   * Called when the first `nbytes` bytes of the last `getBuffer` array were
   * filled; the protocol reads them before returning (the next read reuses
   * whatever array `getBuffer` returns next).
   *
   * @param _nbytes How many bytes were written into the buffer.
   *
   * @example Reading the filled bytes
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { BufferedProtocol } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * class Text extends BufferedProtocol {
   *   readonly buffer = new Uint8Array(16);
   *   text = "";
   *   readonly done = Promise.withResolvers<void>();
   *   override getBuffer() {
   *     return this.buffer;
   *   }
   *   override bufferUpdated(nbytes: number) {
   *     this.text += new TextDecoder().decode(this.buffer.subarray(0, nbytes));
   *   }
   *   override connectionLost() {
   *     this.done.resolve();
   *   }
   * }
   *
   * const [[a, pa], [, text]] = await createTransportPair(() => new RecordingProtocol(), () => new Text());
   * a.write(new TextEncoder().encode("longer than sixteen bytes"));
   * a.close();
   * await Promise.all([pa.lost, text.done.promise]);
   * assertEquals(text.text, "longer than sixteen bytes");
   * ```
   */
  bufferUpdated(_nbytes: number): void {}

  /**
   * Called once when the peer will send no more data, as
   * {@linkcode Protocol.eofReceived}.
   *
   * @returns A falsy value to let the transport close, a truthy one to keep
   * it half-open.
   *
   * @example Closing at EOF by default
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { BufferedProtocol } from "@aio/transports";
   *
   * assertEquals(new BufferedProtocol().eofReceived(), undefined);
   * ```
   */
  eofReceived(): boolean | void {}
}
