/**
 * The datagram protocol.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";
import type { NetAddress } from "../transports/transport.ts";

/**
 * The base class for datagram (UDP) protocols, made by the factory given to
 * `createDatagramEndpoint`.
 *
 * @example
 * ```ts
 * import { DatagramProtocol, type DatagramTransport, type NetAddress } from "@aio/transports";
 *
 * class EchoServer extends DatagramProtocol {
 *   transport?: DatagramTransport;
 *   override connectionMade(transport: DatagramTransport) {
 *     this.transport = transport;
 *   }
 *   override datagramReceived(data: Uint8Array, addr: NetAddress) {
 *     this.transport?.sendto(data, addr);
 *   }
 * }
 * console.log(typeof new EchoServer().datagramReceived); // "function"
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  /** Called with each datagram (possibly empty) and its sender's `[host, port]`. */
  datagramReceived(_data: Uint8Array, _addr: NetAddress): void {}

  /**
   * Called when a send or receive failed (for example an ICMP port
   * unreachable on a connected endpoint); the endpoint stays open.
   */
  errorReceived(_exc: Error): void {}
}
