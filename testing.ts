/**
 * A test kit for protocols: run a protocol against another through memory,
 * with the library's real stream transports on both ends, and assert the
 * callback trace, without sockets or permissions. Every semantic of a
 * socket connection holds: callback order, flow control, half-close,
 * `close()` flushing, `abort()`, `BufferedProtocol`.
 *
 * - {@linkcode createTransportPair}: two connected transports, each with its
 *   protocol; {@linkcode simulatePeerReset} breaks the connection.
 * - {@linkcode RecordingProtocol}: a protocol that records its callbacks.
 * - {@linkcode withTimeout}: a bounded wait, so a bug fails a test instead of
 *   hanging it.
 *
 * @example Testing a protocol through memory
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createTransportPair, RecordingProtocol, withTimeout } from "@aio/transports/testing";
 * import { Protocol, type Transport } from "@aio/transports";
 *
 * class Upper extends Protocol {
 *   transport?: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport!.write(new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase()));
 *   }
 * }
 *
 * const [[client, recorder]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new Upper(),
 * );
 * client.write(new TextEncoder().encode("shout"));
 * client.writeEof();
 * await withTimeout(recorder.lost, 1000, "the echo");
 * assertEquals(new TextDecoder().decode(recorder.received), "SHOUT");
 * assertEquals(recorder.names(), ["connectionMade", "dataReceived", "eofReceived", "connectionLost"]);
 * ```
 *
 * @module
 */

export {
  createTransportPair,
  simulatePeerReset,
  type TransportPairOptions,
} from "./testing/_memory_pair.ts";
export {
  type RecordedEvent,
  RecordingProtocol,
  type RecordingProtocolOptions,
} from "./testing/_recording_protocol.ts";
export { withTimeout } from "./testing/_timeout.ts";
