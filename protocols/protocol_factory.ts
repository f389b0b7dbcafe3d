/**
 * The function the loop's connection-making methods take.
 *
 * @module
 */

/**
 * A function that makes a protocol for each new connection.
 *
 * @example
 * ```ts
 * import { Protocol, type ProtocolFactory } from "@aio/transports";
 *
 * const factory: ProtocolFactory<Protocol> = () => new Protocol();
 * console.log(factory() instanceof Protocol); // true
 * ```
 */
export type ProtocolFactory<P> = () => P;
