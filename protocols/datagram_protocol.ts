/**
 * The datagram protocol.
 *
 * @module
 */

import { BaseProtocol } from "./base_protocol.ts";
import type { NetAddress } from "../transports/transport.ts";

/**
 * The base class for datagram (UDP) protocols, made by the factory given to
 * `createDatagramEndpoint`: `connectionMade`, then `datagramReceived` and
 * `errorReceived` in any number, then `connectionLost` once.
 *
 * @example A UDP echo server
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   DatagramProtocol,
 *   type DatagramTransport,
 *   getRunningLoop,
 *   type NetAddress,
 * } from "@aio/transports";
 *
 * class EchoServer extends DatagramProtocol {
 *   transport?: DatagramTransport;
 *   override connectionMade(transport: DatagramTransport) {
 *     this.transport = transport;
 *   }
 *   override datagramReceived(data: Uint8Array, addr: NetAddress) {
 *     this.transport!.sendto(data, addr);
 *   }
 * }
 *
 * class Client extends DatagramProtocol {
 *   readonly reply = Promise.withResolvers<Uint8Array>();
 *   override datagramReceived(data: Uint8Array) {
 *     this.reply.resolve(data);
 *   }
 * }
 *
 * const loop = getRunningLoop();
 * const [server] = await loop.createDatagramEndpoint(() => new EchoServer(), {
 *   localAddr: ["127.0.0.1", 0],
 * });
 * const [client, protocol] = await loop.createDatagramEndpoint(() => new Client(), {
 *   remoteAddr: server.getExtraInfo<NetAddress>("sockname"),
 * });
 * client.sendto(new Uint8Array([1, 2, 3]));
 * assertEquals(await protocol.reply.promise, new Uint8Array([1, 2, 3]));
 * client.close();
 * server.close();
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  /**
   * Called with each datagram (possibly empty) and its sender. On a connected
   * endpoint only the remote's datagrams arrive.
   *
   * @param _data The datagram's bytes; the protocol owns them.
   * @param _addr The sender's `[host, port]`.
   *
   * @example Recording the sender
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol, getRunningLoop, type NetAddress } from "@aio/transports";
   *
   * class Inbox extends DatagramProtocol {
   *   readonly from = Promise.withResolvers<NetAddress>();
   *   override datagramReceived(_data: Uint8Array, addr: NetAddress) {
   *     this.from.resolve(addr);
   *   }
   * }
   *
   * const loop = getRunningLoop();
   * const [server, inbox] = await loop.createDatagramEndpoint(() => new Inbox(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * const [client] = await loop.createDatagramEndpoint(() => new DatagramProtocol(), {
   *   localAddr: ["127.0.0.1", 0],
   * });
   * client.sendto(new Uint8Array(), server.getExtraInfo<NetAddress>("sockname"));
   * assertEquals(await inbox.from.promise, client.getExtraInfo("sockname"));
   * client.close();
   * server.close();
   * ```
   */
  datagramReceived(_data: Uint8Array, _addr: NetAddress): void {}

  /**
   * Called when a send or receive failed; the endpoint stays open. ICMP
   * errors (port unreachable) are never reported here: no Deno primitive
   * connects a UDP socket in the kernel, where Linux reports them; most send
   * errors arrive with code `UNKNOWN`.
   *
   * @param _exc The error.
   *
   * @example A protocol that keeps errors
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { DatagramProtocol } from "@aio/transports";
   *
   * class Errors extends DatagramProtocol {
   *   readonly errors: Error[] = [];
   *   override errorReceived(exc: Error) {
   *     this.errors.push(exc);
   *   }
   * }
   *
   * const protocol = new Errors();
   * protocol.errorReceived(new Error("EMSGSIZE"));
   * assertEquals(protocol.errors.length, 1);
   * ```
   */
  errorReceived(_exc: Error): void {}
}
