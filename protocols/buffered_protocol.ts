/**
 * The streaming protocol with a receive buffer of its own.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";

/**
 * A streaming protocol that supplies its own receive buffer: the transport
 * reads straight into the array `getBuffer` returns, then calls
 * `bufferUpdated(n)`. The array stays the protocol's; it is never detached or
 * kept by the transport.
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
 * @example
 * ```ts
 * import { BufferedProtocol } from "@aio/transports";
 *
 * class Counter extends BufferedProtocol {
 *   readonly buffer = new Uint8Array(64 * 1024);
 *   total = 0;
 *   override getBuffer(_sizeHint: number) {
 *     return this.buffer;
 *   }
 *   override bufferUpdated(nbytes: number) {
 *     this.total += nbytes;
 *   }
 * }
 * console.log(new Counter().getBuffer(-1).length); // 65536
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  /**
   * Returns the array the next read fills. `sizeHint` is a suggested minimum
   * size (`-1`: any size). Returning an empty array is an error.
   */
  getBuffer(_sizeHint: number): Uint8Array {
    throw new TypeError("BufferedProtocol subclasses must override getBuffer()");
  }

  /** Called when the first `nbytes` bytes of the last `getBuffer` array were filled. */
  bufferUpdated(_nbytes: number): void {}

  /** Same as {@linkcode Protocol.eofReceived}. */
  eofReceived(): boolean | void {}
}
