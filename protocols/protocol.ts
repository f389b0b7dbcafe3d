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
 * @example An echo protocol
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Protocol, type Transport } from "@aio/transports";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * class Echo extends Protocol {
 *   transport?: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const [[client, recorder], [, echo]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new Echo(),
 * );
 * client.write(new TextEncoder().encode("echo"));
 * client.writeEof();
 * await recorder.lost;
 * assertEquals(new TextDecoder().decode(recorder.received), "echo");
 * assertEquals(echo.transport!.isClosing(), true);
 * ```
 */
export class Protocol extends BaseProtocol {
  /**
   * Called with received bytes. `data` is never empty and belongs to the
   * protocol (keep it without copying); bytes arrive in order, chunked in
   * any way.
   *
   * @param _data The bytes received.
   *
   * @example Collecting chunks
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { Protocol } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * class Collect extends Protocol {
   *   text = "";
   *   readonly done = Promise.withResolvers<void>();
   *   override dataReceived(data: Uint8Array) {
   *     this.text += new TextDecoder().decode(data);
   *   }
   *   override connectionLost() {
   *     this.done.resolve();
   *   }
   * }
   *
   * const [[a, pa], [, collect]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new Collect(),
   * );
   * a.write(new TextEncoder().encode("chunk 1, "));
   * a.write(new TextEncoder().encode("chunk 2"));
   * a.close();
   * await Promise.all([pa.lost, collect.done.promise]);
   * assertEquals(collect.text, "chunk 1, chunk 2");
   * ```
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * Called once when the peer will send no more data (it half-closed or
   * closed).
   *
   * @returns A falsy value to let the transport close itself, a truthy one to
   * keep it half-open (writes still allowed) where the transport supports it
   * (TLS always closes).
   *
   * @example Answering after the peer's EOF
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { Protocol, type Transport } from "@aio/transports";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * class Count extends Protocol {
   *   #transport?: Transport;
   *   #bytes = 0;
   *   override connectionMade(transport: Transport) {
   *     this.#transport = transport;
   *   }
   *   override dataReceived(data: Uint8Array) {
   *     this.#bytes += data.length;
   *   }
   *   override eofReceived() {
   *     this.#transport!.write(new TextEncoder().encode(`${this.#bytes} bytes`));
   *     this.#transport!.close();
   *     return true;
   *   }
   * }
   *
   * const [[client, recorder]] = await createTransportPair(() => new RecordingProtocol(), () => new Count());
   * client.write(new Uint8Array(5));
   * client.writeEof();
   * await recorder.lost;
   * assertEquals(new TextDecoder().decode(recorder.received), "5 bytes");
   * ```
   */
  eofReceived(): boolean | void {}
}
