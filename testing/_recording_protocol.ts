/** The recording protocol of the test kit. */

import { Protocol } from "../protocols/protocol.ts";
import type { Transport } from "../transports/transport.ts";

/** One callback a {@linkcode RecordingProtocol} received, with its argument. */
export type RecordedEvent =
  | [name: "connectionMade"]
  | [name: "dataReceived", data: Uint8Array]
  | [name: "eofReceived"]
  | [name: "pauseWriting"]
  | [name: "resumeWriting"]
  | [name: "connectionLost", exc: Error | null];

/** Options of {@linkcode RecordingProtocol}. */
export interface RecordingProtocolOptions {
  /**
   * What `eofReceived()` returns: `true` keeps the transport half-open,
   * `false` (the default) lets it close.
   */
  keepOpenOnEof?: boolean;
}

/**
 * A {@linkcode Protocol} that records every callback in {@linkcode events},
 * for asserting a callback trace. Subclass it and call `super` to add
 * behaviour (an echo, a parser) and keep the record.
 *
 * @example
 * ```ts
 * import { createTransportPair, RecordingProtocol } from "@aio/transports/testing";
 *
 * class Echo extends RecordingProtocol {
 *   override dataReceived(data: Uint8Array) {
 *     super.dataReceived(data);
 *     this.transport!.write(data);
 *   }
 * }
 *
 * const [[client, recorder]] = await createTransportPair(
 *   () => new RecordingProtocol(),
 *   () => new Echo(),
 * );
 * client.write(new Uint8Array([1, 2, 3]));
 * client.close();
 * await recorder.lost;
 * console.log(recorder.events[0]); // ["connectionMade"]
 * ```
 */
export class RecordingProtocol extends Protocol {
  /** Every callback so far, in order, with its argument. */
  readonly events: RecordedEvent[] = [];
  /** The transport given to `connectionMade`, or `null` before it. */
  transport: Transport | null = null;
  /** Resolves with the transport given to `connectionMade`. */
  readonly made: Promise<Transport>;
  /** Resolves with the argument of `connectionLost`. */
  readonly lost: Promise<Error | null>;
  readonly #keepOpenOnEof: boolean;
  readonly #resolveMade: (transport: Transport) => void;
  readonly #resolveLost: (exc: Error | null) => void;
  #received: Uint8Array[] = [];

  /** `options.keepOpenOnEof` chooses what `eofReceived()` returns. */
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

  /** The names of the callbacks so far, in order. */
  names(): RecordedEvent[0][] {
    return this.events.map((event) => event[0]);
  }

  /** Every byte received so far, in order, as one array. */
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

  /** Keeps `transport`, records the call and resolves {@linkcode made}. */
  override connectionMade(transport: Transport): void {
    this.transport = transport;
    this.events.push(["connectionMade"]);
    this.#resolveMade(transport);
  }

  /** Records `data` (kept, see {@linkcode received}). */
  override dataReceived(data: Uint8Array): void {
    this.#received.push(data);
    this.events.push(["dataReceived", data]);
  }

  /** Records the call; returns the `keepOpenOnEof` option. */
  override eofReceived(): boolean {
    this.events.push(["eofReceived"]);
    return this.#keepOpenOnEof;
  }

  /** Records the call. */
  override pauseWriting(): void {
    this.events.push(["pauseWriting"]);
  }

  /** Records the call. */
  override resumeWriting(): void {
    this.events.push(["resumeWriting"]);
  }

  /** Records the call and resolves {@linkcode lost}. */
  override connectionLost(exc: Error | null): void {
    this.events.push(["connectionLost", exc]);
    this.#resolveLost(exc);
  }
}
