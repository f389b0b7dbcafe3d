/** The in-memory transport pair of the test kit. */

import { getRunningLoop } from "../loop/event_loop.ts";
import type { ProtocolFactory } from "../protocols/protocol_factory.ts";
import { checkFactory } from "../_util/validate.ts";
import { openStream } from "../loop/endpoints/_open_stream.ts";
import { WebStreamChannel } from "../transports/_web_stream_channel.ts";
import type { Transport } from "../transports/transport.ts";
import { BytePipe } from "./_byte_pipe.ts";

/** Options of {@linkcode createTransportPair}. */
export interface TransportPairOptions {
  /**
   * Bytes each direction holds in flight before a writer waits, as a
   * socket's buffers do (default 64 KiB). A side that stops reading makes
   * the other side's write buffer grow past it.
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
 * half-close with `writeEof()`, `close()` flushing, `abort()`), with no
 * socket and no permission. `connectionMade` runs on A, then on B, before the
 * promise resolves. {@linkcode simulatePeerReset} breaks the connection.
 *
 * @example
 * ```ts
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * const [[client], [, server]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 * );
 * client.write(new TextEncoder().encode("hello"));
 * client.close();
 * await server.lost;
 * console.log(new TextDecoder().decode(server.received)); // "hello"
 * console.log(server.names()); // ["connectionMade", "dataReceived", "eofReceived", "connectionLost"]
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
 * peer is aborted, and `transport`'s reads and writes fail with `error`
 * (a `Deno.errors.ConnectionReset` by default), so its protocol gets
 * `connectionLost(error)`. Bytes not yet read are lost, as with a TCP reset.
 *
 * @example
 * ```ts
 * import { createTransportPair, RecordingProtocol, simulatePeerReset } from "@aio/transports/testing";
 *
 * const [[client, clientProtocol], [, serverProtocol]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(),
 * );
 * simulatePeerReset(client);
 * console.log(await clientProtocol.lost); // ConnectionReset: the peer reset the connection
 * console.log(await serverProtocol.lost); // null: the peer aborted
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
