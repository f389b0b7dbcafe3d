/**
 * The callbacks every protocol shares.
 *
 * @module
 */

import type { BaseTransport } from "../transports/transport.ts";

/**
 * Base protocol with the callbacks all protocols share. Every callback is a
 * no-op: subclass and override what you need. Transports also accept plain
 * objects that have only some of these methods.
 *
 * `connectionMade` and `connectionLost` are called exactly once per
 * successful connection; every other callback comes between them.
 *
 * @example
 * ```ts
 * import { BaseProtocol, type BaseTransport } from "@aio/transports";
 *
 * class Logger extends BaseProtocol {
 *   override connectionMade(transport: BaseTransport) {
 *     console.log("connected", transport.getExtraInfo("peername"));
 *   }
 *   override connectionLost(exc: Error | null) {
 *     console.log("lost", exc);
 *   }
 * }
 * console.log(new Logger() instanceof BaseProtocol); // true
 * ```
 */
export class BaseProtocol {
  /**
   * Called when a connection is made. The protocol is responsible for keeping
   * a reference to `transport`.
   */
  connectionMade(_transport: BaseTransport): void {}

  /**
   * Called when the connection is lost or closed: `exc` is the error, or
   * `null` for a regular EOF, `close()` or `abort()` on this side.
   */
  connectionLost(_exc: Error | null): void {}

  /**
   * Called when the transport's write buffer goes strictly over the high
   * watermark.
   */
  pauseWriting(): void {}

  /**
   * Called when the transport's write buffer drains to the low watermark or
   * below, after `pauseWriting()`.
   */
  resumeWriting(): void {}
}
