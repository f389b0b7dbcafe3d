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
 * successful connection; every other callback comes between them. A
 * callback that throws is reported to the loop's exception handler and
 * closes the transport with that error.
 *
 * @example Recording the connection's life
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BaseProtocol, type BaseTransport } from "@aio/transports";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * class Life extends BaseProtocol {
 *   readonly events: string[] = [];
 *   readonly lost = Promise.withResolvers<void>();
 *   override connectionMade(_transport: BaseTransport) {
 *     this.events.push("made");
 *   }
 *   override connectionLost(_exc: Error | null) {
 *     this.events.push("lost");
 *     this.lost.resolve();
 *   }
 * }
 *
 * const [[a, pa], [, life]] = await createTransportPair(() => new RecordingProtocol(), () => new Life());
 * a.close();
 * await Promise.all([pa.lost, life.lost.promise]);
 * assertEquals(life.events, ["made", "lost"]);
 * ```
 */
export class BaseProtocol {
  /**
   * Called when a connection is made, before any other callback and before
   * the loop method's promise resolves. The protocol is responsible for
   * keeping a reference to `transport`.
   *
   * @param _transport The connection's transport.
   *
   * @example Keeping the transport
   * ```ts
   * import { assertStrictEquals } from "@std/assert";
   * import { BaseProtocol, type BaseTransport } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * class Keep extends BaseProtocol {
   *   transport?: BaseTransport;
   *   override connectionMade(transport: BaseTransport) {
   *     this.transport = transport;
   *   }
   * }
   *
   * const [[a, pa], [b, keep]] = await createTransportPair(() => new RecordingProtocol(), () => new Keep());
   * assertStrictEquals(keep.transport, b);
   * b.close();
   * await pa.lost;
   * a.close();
   * ```
   */
  connectionMade(_transport: BaseTransport): void {}

  /**
   * Called once, last, when the connection is lost or closed, after the read
   * and write in flight have settled.
   *
   * @param _exc The error (`Deno.errors.ConnectionReset`, `BrokenPipe`, an
   * error a callback threw, ...), or `null` for a regular EOF, `close()` or
   * `abort()` on this side.
   *
   * @example A reset connection
   * ```ts
   * import { assertInstanceOf } from "@std/assert";
   * import { createTransportPair, RecordingProtocol, simulatePeerReset } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * simulatePeerReset(a);
   * assertInstanceOf(await pa.lost, Deno.errors.ConnectionReset);
   * await pb.lost;
   * ```
   */
  connectionLost(_exc: Error | null): void {}

  /**
   * Called when the transport's write buffer goes strictly over the high
   * watermark (64 KiB by default): stop writing until `resumeWriting()`.
   * Called once per crossing; an error it throws is reported, and the
   * transport carries on.
   *
   * @example Writing only while allowed
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   *   { capacity: 16 },
   * );
   * b.pauseReading();
   * a.setWriteBufferLimits(100);
   * a.write(new Uint8Array(1000));
   * assertEquals(pa.names().at(-1), "pauseWriting");
   * b.resumeReading();
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pa.names().includes("resumeWriting"), true);
   * ```
   */
  pauseWriting(): void {}

  /**
   * Called when the transport's write buffer drains to the low watermark or
   * below, after `pauseWriting()`.
   *
   * @example Paused, then resumed
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [b, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   *   { capacity: 16 },
   * );
   * b.pauseReading();
   * a.setWriteBufferLimits(100);
   * a.write(new Uint8Array(1000));
   * b.resumeReading();
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pa.names(), ["connectionMade", "pauseWriting", "resumeWriting", "connectionLost"]);
   * ```
   */
  resumeWriting(): void {}
}
