/**
 * The function the loop's connection-making methods take.
 *
 * @module
 */

/**
 * A function that makes a protocol for each new connection: the first
 * argument of every connection-making loop method. It must return an object
 * (else the method rejects with a `TypeError`); what it throws is the
 * method's rejection (for a server, it is reported to the exception handler).
 *
 * @typeParam P The protocol type it makes.
 *
 * @example A factory
 * ```ts
 * import { assertInstanceOf } from "@std/assert";
 * import { Protocol, type ProtocolFactory } from "@aio/transports";
 *
 * const factory: ProtocolFactory<Protocol> = () => new Protocol();
 * assertInstanceOf(factory(), Protocol);
 * ```
 */
export type ProtocolFactory<P> = () => P;
