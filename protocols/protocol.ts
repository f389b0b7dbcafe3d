/**
 * The streaming protocol.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";

/**
 * The base class for streaming protocols (TCP, Unix sockets, TLS, pipes).
 *
 * State machine:
 *
 * ```
 * start -> connectionMade
 *     [-> dataReceived]*
 *     [-> eofReceived]?
 *     -> connectionLost -> end
 * ```
 *
 * @example
 * ```ts
 * import { Protocol, type Transport } from "@aio/transports";
 *
 * class Echo extends Protocol {
 *   transport?: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport?.write(data);
 *   }
 * }
 * console.log(new Echo().eofReceived()); // undefined: the transport closes
 * ```
 */
export class Protocol extends BaseProtocol {
  /**
   * Called with received bytes. `data` is never empty and belongs to the
   * protocol; bytes arrive in order, chunked in any way.
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * Called once when the peer will send no more data. Return a falsy value
   * to let the transport close itself, a truthy one to keep it half-open
   * (writes still allowed) where the transport supports it.
   */
  eofReceived(): boolean | void {}
}
