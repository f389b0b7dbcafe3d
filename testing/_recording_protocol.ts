/** The recording protocol of the test kit. */

import { Protocol } from "../protocols/protocol.ts";
import type { Transport } from "../transports/transport.ts";

/**
 * One callback a {@linkcode RecordingProtocol} received, with its argument:
 * `["dataReceived", data]`, `["connectionLost", exc]`, or the callback's
 * name alone.
 *
 * @example Finding the data events
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import type { RecordedEvent } from "@aio/transports/testing";
 *
 * const events: RecordedEvent[] = [["connectionMade"], ["dataReceived", new Uint8Array([1])]];
 * const data = events.flatMap((event) => event[0] === "dataReceived" ? [event[1]] : []);
 * assertEquals(data, [new Uint8Array([1])]);
 * ```
 */
export type RecordedEvent =
  | [name: "connectionMade"]
  | [name: "dataReceived", data: Uint8Array]
  | [name: "eofReceived"]
  | [name: "pauseWriting"]
  | [name: "resumeWriting"]
  | [name: "connectionLost", exc: Error | null];

/**
 * Options of {@linkcode RecordingProtocol}.
 *
 * @example Staying half-open after EOF
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   createTransportPair,
 *   RecordingProtocol,
 *   type RecordingProtocolOptions,
 * } from "@aio/transports/testing";
 *
 * const options: RecordingProtocolOptions = { keepOpenOnEof: true };
 * const [[a, pa], [b, pb]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new RecordingProtocol(options),
 * );
 * a.writeEof();
 * await new Promise((resolve) => setTimeout(resolve, 10));
 * assertEquals(b.isClosing(), false);
 * b.write(new TextEncoder().encode("still here"));
 * b.close();
 * await Promise.all([pa.lost, pb.lost]);
 * assertEquals(new TextDecoder().decode(pa.received), "still here");
 * ```
 */
export interface RecordingProtocolOptions {
  /**
   * What `eofReceived()` returns: `true` keeps the transport half-open,
   * `false` lets it close.
   *
   * @default {false}
   */
  keepOpenOnEof?: boolean;
}

/**
 * A {@linkcode Protocol} that records every callback in
 * {@linkcode RecordingProtocol.events}, for asserting a callback trace.
 * Subclass it and call `super` to add behaviour (an echo, a parser) and
 * keep the record.
 *
 * @example An echo that records
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * class Echo extends RecordingProtocol {
 *   override dataReceived(data: Uint8Array) {
 *     super.dataReceived(data);
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const [[client, recorder], [, echo]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new Echo(),
 * );
 * client.write(new Uint8Array([1, 2, 3]));
 * client.writeEof();
 * await Promise.all([recorder.lost, echo.lost]);
 * assertEquals(recorder.received, new Uint8Array([1, 2, 3]));
 * assertEquals(echo.events[0], ["connectionMade"]);
 * ```
 */
export class RecordingProtocol extends Protocol {
  /**
   * Every callback so far, in order, with its argument.
   */
  readonly events: RecordedEvent[] = [];
  /**
   * The transport given to `connectionMade`, or `null` before it.
   */
  transport: Transport | null = null;
  /**
   * Resolves with the transport given to `connectionMade`.
   */
  readonly made: Promise<Transport>;
  /**
   * Resolves with the argument of `connectionLost`.
   */
  readonly lost: Promise<Error | null>;
  readonly #keepOpenOnEof: boolean;
  readonly #resolveMade: (transport: Transport) => void;
  readonly #resolveLost: (exc: Error | null) => void;
  #received: Uint8Array[] = [];

  /**
   * Creates a protocol with an empty record.
   *
   * @param options Options, see {@linkcode RecordingProtocolOptions}.
   * @throws {TypeError} If `options` is not an object or `keepOpenOnEof` not
   * a boolean.
   *
   * @example Its initial state
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const protocol = new RecordingProtocol({ keepOpenOnEof: false });
   * assertEquals([protocol.events, protocol.transport], [[], null]);
   * ```
   */
  constructor(options: RecordingProtocolOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError("RecordingProtocol: 'options' must be an object");
    }
    const keepOpen = options.keepOpenOnEof ?? false;
    if (typeof keepOpen !== "boolean") {
      throw new TypeError(
        `RecordingProtocol: 'keepOpenOnEof' must be a boolean, got ${typeof keepOpen}`,
      );
    }
    this.#keepOpenOnEof = keepOpen;
    const made = Promise.withResolvers<Transport>();
    this.made = made.promise;
    this.#resolveMade = made.resolve;
    const lost = Promise.withResolvers<Error | null>();
    this.lost = lost.promise;
    this.#resolveLost = lost.resolve;
  }

  /**
   * The names of the callbacks so far, in order.
   *
   * @returns The callback names.
   *
   * @example A trace of names
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pa.names(), ["connectionMade", "connectionLost"]);
   * assertEquals(pb.names(), ["connectionMade", "eofReceived", "connectionLost"]);
   * ```
   */
  names(): RecordedEvent[0][] {
    return this.events.map((event) => event[0]);
  }

  /**
   * Every byte received so far, in order, as one array.
   *
   * @returns The bytes (an empty array before any).
   *
   * @example Chunks joined
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.write(new Uint8Array([1]));
   * a.write(new Uint8Array([2, 3]));
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pb.received, new Uint8Array([1, 2, 3]));
   * ```
   */
  get received(): Uint8Array {
    if (this.#received.length > 1) {
      const all = new Uint8Array(this.#received.reduce((n, chunk) => n + chunk.length, 0));
      let offset = 0;
      for (const chunk of this.#received) {
        all.set(chunk, offset);
        offset += chunk.length;
      }
      this.#received = [all];
    }
    return this.#received[0] ?? new Uint8Array(0);
  }

  /**
   * Keeps `transport`, records the call and resolves
   * {@linkcode RecordingProtocol.made}.
   *
   * @param transport The connection's transport.
   *
   * @example Waiting for the connection
   * ```ts
   * import { assertStrictEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * assertStrictEquals(await pa.made, a);
   * assertStrictEquals(pa.transport, a);
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  override connectionMade(transport: Transport): void {
    this.transport = transport;
    this.events.push(["connectionMade"]);
    this.#resolveMade(transport);
  }

  /**
   * Records `data` (kept, see {@linkcode RecordingProtocol.received}).
   *
   * @param data The bytes received.
   *
   * @example The data event
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.write(new Uint8Array([9]));
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * assertEquals(pb.events[1], ["dataReceived", new Uint8Array([9])]);
   * ```
   */
  override dataReceived(data: Uint8Array): void {
    this.#received.push(data);
    this.events.push(["dataReceived", data]);
  }

  /**
   * Records the call.
   *
   * @returns The `keepOpenOnEof` option.
   *
   * @example The default lets the transport close
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const protocol = new RecordingProtocol();
   * assertEquals(protocol.eofReceived(), false);
   * assertEquals(protocol.names(), ["eofReceived"]);
   * ```
   */
  override eofReceived(): boolean {
    this.events.push(["eofReceived"]);
    return this.#keepOpenOnEof;
  }

  /**
   * Records the call.
   *
   * @example Recorded when the buffer passes the high watermark
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
   * a.setWriteBufferLimits(10);
   * a.write(new Uint8Array(100));
   * assertEquals(pa.names(), ["connectionMade", "pauseWriting"]);
   * b.resumeReading();
   * a.close();
   * await Promise.all([pa.lost, pb.lost]);
   * ```
   */
  override pauseWriting(): void {
    this.events.push(["pauseWriting"]);
  }

  /**
   * Records the call.
   *
   * @example Recorded when the buffer drains
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { RecordingProtocol } from "@aio/transports/testing";
   *
   * const protocol = new RecordingProtocol();
   * protocol.pauseWriting();
   * protocol.resumeWriting();
   * assertEquals(protocol.names(), ["pauseWriting", "resumeWriting"]);
   * ```
   */
  override resumeWriting(): void {
    this.events.push(["resumeWriting"]);
  }

  /**
   * Records the call and resolves {@linkcode RecordingProtocol.lost}.
   *
   * @param exc The error, or `null`.
   *
   * @example An aborted connection
   * ```ts
   * import { assertEquals } from "@std/assert";
   * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
   *
   * const [[a, pa], [, pb]] = await createTransportPair(
   *   () => new RecordingProtocol(),
   *   () => new RecordingProtocol(),
   * );
   * a.abort();
   * assertEquals(await pa.lost, null);
   * assertEquals(pa.events.at(-1), ["connectionLost", null]);
   * await pb.lost;
   * ```
   */
  override connectionLost(exc: Error | null): void {
    this.events.push(["connectionLost", exc]);
    this.#resolveLost(exc);
  }
}
