/** The in-memory transport pair of the test kit. */

import { getRunningLoop } from "../loop/event_loop.ts";
import type { ProtocolFactory } from "../protocols/protocol_factory.ts";
import { checkFactory } from "../_util/validate.ts";
import { openStream } from "../loop/endpoints/_open_stream.ts";
import { WebStreamChannel } from "../transports/_web_stream_channel.ts";
import type { Transport } from "../transports/transport.ts";
import { BytePipe } from "./_byte_pipe.ts";

/**
 * Options of {@linkcode createTransportPair}.
 *
 * @example A small capacity to exercise flow control
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   createTransportPair,
 *   RecordingProtocol,
 *   type TransportPairOptions,
 * } from "@aio/transports/testing";
 *
 * const options: TransportPairOptions = { capacity: 16 };
 * const [[a, pa], [b, pb]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 *   options,
 * );
 * b.pauseReading();
 * a.write(new Uint8Array(100_000));
 * assertEquals(pa.names(), ["connectionMade", "pauseWriting"]);
 * b.resumeReading();
 * a.close();
 * await Promise.all([pa.lost, pb.lost]);
 * ```
 */
export interface TransportPairOptions {
  /**
   * Bytes each direction holds in flight before a writer waits, as a
   * socket's buffers do: a positive integer. A side that stops reading makes
   * the other side's write buffer grow past it.
   *
   * @default {65536}
   */
  capacity?: number;
}

const DEFAULT_CAPACITY = 64 * 1024;

/** How to reset each pair transport's connection, for {@linkcode simulatePeerReset}. */
const resets = new WeakMap<Transport, (error: Error) => void>();

function checkCapacity(capacity: unknown): number {
  if (capacity === undefined) return DEFAULT_CAPACITY;
  if (typeof capacity !== "number") {
    throw new TypeError(`createTransportPair: 'capacity' must be a number, got ${typeof capacity}`);
  }
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(
      `createTransportPair: 'capacity' must be a positive integer, got ${capacity}`,
    );
  }
  return capacity;
}

/**
 * Connects a protocol from `factoryA` to one from `factoryB` through memory:
 * both ends are the library's real stream transports (over Web Streams), so
 * every semantic of a socket connection holds (callback order, flow control,
 * half-close with `writeEof()`, `close()` flushing, `abort()`,
 * `BufferedProtocol`), with no socket and no permission. `connectionMade`
 * runs on A, then on B, before the promise resolves.
 * {@linkcode simulatePeerReset} breaks the connection. The transports have
 * no `peername`, `sockname` or `socket`, and cannot be upgraded by `startTls`.
 *
 * @typeParam A The protocol type `factoryA` makes.
 * @typeParam B The protocol type `factoryB` makes.
 * @param factoryA Makes the protocol of the first end.
 * @param factoryB Makes the protocol of the second end.
 * @param options Options, see {@linkcode TransportPairOptions}.
 * @returns `[[transportA, protocolA], [transportB, protocolB]]`.
 * @throws {TypeError} If a factory is not a function or makes no object,
 * or `options` is not an object.
 * @throws {RangeError} If `capacity` is not a positive integer.
 *
 * @example A callback trace
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * const [[client, pc], [, server]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 * );
 * client.write(new TextEncoder().encode("hello"));
 * client.close();
 * await Promise.all([pc.lost, server.lost]);
 * assertEquals(new TextDecoder().decode(server.received), "hello");
 * assertEquals(server.names(), ["connectionMade", "dataReceived", "eofReceived", "connectionLost"]);
 * ```
 */
export async function createTransportPair<A extends object, B extends object>(
  factoryA: ProtocolFactory<A>,
  factoryB: ProtocolFactory<B>,
  options: TransportPairOptions = {},
): Promise<[[Transport, A], [Transport, B]]> {
  checkFactory(factoryA, "createTransportPair", "factoryA");
  checkFactory(factoryB, "createTransportPair", "factoryB");
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createTransportPair: 'options' must be an object");
  }
  const capacity = checkCapacity(options.capacity);
  const loop = getRunningLoop();
  const aToB = new BytePipe(capacity);
  const bToA = new BytePipe(capacity);
  const channelB = new WebStreamChannel(aToB.readable, bToA.writable);
  let a: [Transport, A];
  try {
    a = openStream(
      loop,
      factoryA,
      "createTransportPair",
      new WebStreamChannel(bToA.readable, aToB.writable),
      {},
    );
  } catch (err) {
    await channelB.close();
    throw err;
  }
  let b: [Transport, B];
  try {
    b = openStream(loop, factoryB, "createTransportPair", channelB, {});
  } catch (err) {
    a[0].abort();
    throw err;
  }
  const [transportA] = a;
  const [transportB] = b;
  const reset = (peer: Transport) => (error: Error) => {
    resets.delete(transportA);
    resets.delete(transportB);
    aToB.break(error);
    bToA.break(error);
    peer.abort();
  };
  resets.set(transportA, reset(transportB));
  resets.set(transportB, reset(transportA));
  return [a, b];
}

/**
 * Makes the peer of `transport` (the other end of a
 * {@linkcode createTransportPair} connection) reset the connection: the
 * peer is aborted, and `transport`'s reads and writes fail with `error`, so
 * its protocol gets `connectionLost(error)`. Bytes not yet read are lost, as
 * with a TCP reset. A pair can be reset once.
 *
 * @param transport One end of a pair.
 * @param error The error `transport` sees.
 * @throws {TypeError} If `transport` is not a transport of a pair not yet
 * reset, or `error` is not an `Error`.
 *
 * @example A reset seen from both ends
 * ```ts
 * import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
 * import { createTransportPair, RecordingProtocol, simulatePeerReset } from "@aio/transports/testing";
 *
 * const [[client, clientProtocol], [, serverProtocol]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 * );
 * simulatePeerReset(client);
 * assertInstanceOf(await clientProtocol.lost, Deno.errors.ConnectionReset);
 * assertEquals(await serverProtocol.lost, null);
 * assertThrows(() => simulatePeerReset(client), TypeError);
 * ```
 */
export function simulatePeerReset(
  transport: Transport,
  error: Error = new Deno.errors.ConnectionReset("the peer reset the connection"),
): void {
  const reset = resets.get(transport);
  if (reset === undefined) {
    throw new TypeError(
      "simulatePeerReset: 'transport' must be a transport made by createTransportPair, not yet reset",
    );
  }
  if (!(error instanceof Error)) {
    throw new TypeError("simulatePeerReset: 'error' must be an Error");
  }
  reset(error);
}
